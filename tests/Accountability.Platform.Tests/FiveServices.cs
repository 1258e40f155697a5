using Accountability.TestSupport;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>All five services as real processes, started once for the platform tests.</summary>
public sealed class FiveServices : IAsyncLifetime
{
    public static readonly string[] Names = ["Intake", "Assignment", "Escalation", "Notification", "Audit"];

    public IReadOnlyList<ServiceProcess> All { get; private set; } = [];

    public async Task InitializeAsync() =>
        All = await Task.WhenAll(Names.Select(name => ServiceProcess.StartAsync(name)));

    public async Task DisposeAsync()
    {
        foreach (var service in All)
            await service.DisposeAsync();
    }
}

[CollectionDefinition(nameof(FiveServices))]
public sealed class FiveServicesCollection : ICollectionFixture<FiveServices>;
