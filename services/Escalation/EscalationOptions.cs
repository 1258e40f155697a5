namespace Accountability.Escalation;

/// <summary>Settings under "Escalation". Every value has a working default for `make up`.</summary>
public sealed class EscalationOptions
{
    public const string Section = "Escalation";

    /// <summary>The PostgreSQL schema (and queue-name prefix). Tests give each isolated instance its own.</summary>
    public string Schema { get; set; } = "escalation";

    /// <summary>Default policies, loaded into an empty policy table on start.</summary>
    public string PoliciesPath { get; set; } = "deploy/escalation/policies.json";

    /// <summary>Early-intervention threshold policies (every version); read and validated at every start.</summary>
    public string EarlyWarningPath { get; set; } = "deploy/escalation/early-warning.json";

    /// <summary>Business hours, working days and holidays; read at every start.</summary>
    public string CalendarPath { get; set; } = "deploy/escalation/calendar.json";

    /// <summary>"system" (default), or "manual": a clock that stands still until POST /api/test-clock/advance moves it. Tests only.</summary>
    public string Clock { get; set; } = "system";

    /// <summary>Where a manual clock starts; default the real time at start-up.</summary>
    public DateTimeOffset? ClockStart { get; set; }

    /// <summary>The longest the timer poller sleeps: it sleeps until the next timer comes due, and a consumer wakes it for one due already.</summary>
    public TimeSpan TimerPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A timer fired later than this after its instant is marked late.</summary>
    public TimeSpan LateAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The assignment service's HTTP API: asked who may see a case (clock reads, with the caller's token) and read by the gap monitor.</summary>
    public string AssignmentUrl { get; set; } = "http://127.0.0.1:5102";

    public bool GapMonitorEnabled { get; set; } = true;

    /// <summary>
    /// False makes the monitor report-only: it sweeps and reports (API, gauges) but sends no EscalateCase
    /// and records no finding, e.g. for a test instance watching an assignment schema that other runs share.
    /// </summary>
    public bool GapMonitorEscalates { get; set; } = true;

    public TimeSpan GapMonitorInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Cases per page when the gap monitor lists open cases (assignment allows up to 500).</summary>
    public int GapMonitorPageSize { get; set; } = 500;

    /// <summary>
    /// How many case events the clocks' queue hands this instance at once (64 by default, 1 to 10,000). The events of
    /// different cases are applied in groups, a case's own one after another, and the next group gathers while one is
    /// written: with the general 8, a group held the events of two or three cases (a case's events arrive together).
    /// </summary>
    public int CaseEventsPrefetchCount { get; set; } = 64;

    /// <summary>
    /// How long a group of case events that is not already being gathered waits for companions before it is written (500 ms
    /// by default, 0 to 10 s). At a trickle a complaint's receipt and its routing's events arrive some tens of milliseconds
    /// apart, and the next complaints' a few hundred; waiting lets them share one transaction. Clocks run from each event's
    /// own instant, so the wait moves no deadline; zero writes every event as soon as the writer is free.
    /// </summary>
    public TimeSpan CaseEventsLinger { get; set; } = TimeSpan.FromMilliseconds(500);

    public bool ManualClock => string.Equals(Clock, "manual", StringComparison.OrdinalIgnoreCase);

    public void Validate()
    {
        if (Clock is not ("system" or "manual"))
            throw new InvalidOperationException($"Escalation:Clock must be 'system' or 'manual', not '{Clock}'.");
        if (TimerPollInterval <= TimeSpan.Zero || GapMonitorInterval <= TimeSpan.Zero)
            throw new InvalidOperationException("Escalation:TimerPollInterval and Escalation:GapMonitorInterval must be positive.");
        if (LateAfter < TimeSpan.Zero)
            throw new InvalidOperationException("Escalation:LateAfter must not be negative.");
        if (GapMonitorPageSize is < 1 or > 500)
            throw new InvalidOperationException("Escalation:GapMonitorPageSize must be between 1 and 500.");
        if (CaseEventsPrefetchCount is < 1 or > 10_000)
            throw new InvalidOperationException($"Escalation:CaseEventsPrefetchCount must be between 1 and 10000, not {CaseEventsPrefetchCount}.");
        if (CaseEventsLinger < TimeSpan.Zero || CaseEventsLinger > TimeSpan.FromSeconds(10))
            throw new InvalidOperationException($"Escalation:CaseEventsLinger must be from 00:00:00 to 00:00:10, not {CaseEventsLinger}.");
        if (!Uri.TryCreate(AssignmentUrl, UriKind.Absolute, out _))
            throw new InvalidOperationException($"Escalation:AssignmentUrl must be an absolute URL, not '{AssignmentUrl}'.");
    }

    /// <summary>A relative path is looked up from the working directory, then upwards from the binaries (for runs outside the repository root).</summary>
    public static string ResolvePath(string path)
    {
        if (Path.IsPathRooted(path) || File.Exists(path))
            return Path.GetFullPath(path);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, path);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new FileNotFoundException($"{path} was not found from {Environment.CurrentDirectory} or above {AppContext.BaseDirectory}.", path);
    }
}
