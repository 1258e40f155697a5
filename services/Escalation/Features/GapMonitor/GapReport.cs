using System.Diagnostics.Metrics;

namespace Accountability.Escalation.Features.GapMonitor;

public sealed record GapFinding(Guid CaseId, string Problem, string OwnerKind, string OwnerId, string Detail, bool EscalatedNow);

/// <summary>One sweep. <see cref="Escalates"/> false: a report-only monitor, whose findings are never escalated.</summary>
public sealed record GapReport(DateTimeOffset SweptAt, int OpenCases, int Unowned, int Overdue, IReadOnlyList<GapFinding> Findings, string? Error, bool Escalates);

/// <summary>The last sweep, and the gauges that export it: accountability.cases.unowned must stay 0.</summary>
public sealed class GapMetrics : IDisposable
{
    public const string MeterName = "Accountability.Escalation";

    private readonly Meter meter = new(MeterName);
    private volatile GapReport? last;

    public GapMetrics()
    {
        meter.CreateObservableGauge("accountability.cases.unowned", () => (long)(last?.Unowned ?? 0), "{case}",
            "Open cases whose owner is unknown or inactive, as of the last gap-monitor sweep.");
        meter.CreateObservableGauge("accountability.cases.overdue", () => (long)(last?.Overdue ?? 0), "{case}",
            "Open cases with an overdue acknowledgement or a handoff pending past its deadline, as of the last sweep.");
    }

    public GapReport? Last => last;

    public long Sweeps { get; private set; }

    public void Record(GapReport report)
    {
        last = report;
        Sweeps++;
    }

    public void Dispose() => meter.Dispose();
}
