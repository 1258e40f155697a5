using Accountability.Assignment.Features.Custody;
using Accountability.Assignment.Features.Directory;

namespace Accountability.Assignment.Data;

/// <summary>The directory version in force, in memory. Swapped whole when a new version is published.</summary>
public sealed class DirectoryCache
{
    private readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Snapshot? current;

    public long Version => Current.Version;

    public OrgChart Chart => Current.Chart;

    public IDirectoryView View => Current.View;

    /// <summary>Completes once the first version is loaded; consumers wait on it at start-up.</summary>
    public Task WhenLoaded => loaded.Task;

    /// <summary>The unit answerable for an owner: the unit itself, or the person's unit.</summary>
    public string UnitOf(CaseOwner owner) =>
        owner.IsPerson ? Chart.FindPerson(owner.Id)?.UnitId ?? "" : owner.Id;

    public void Use(long version, OrgChart chart)
    {
        if (current is { } existing && existing.Version >= version)
            return;
        current = new Snapshot(version, chart, new OrgChartDirectoryView(chart));
        loaded.TrySetResult();
    }

    private Snapshot Current => current ?? throw new InvalidOperationException("The org directory has not been loaded yet.");

    private sealed record Snapshot(long Version, OrgChart Chart, IDirectoryView View);
}
