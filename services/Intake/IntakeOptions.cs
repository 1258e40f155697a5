namespace Accountability.Intake;

/// <summary>Settings under "Intake". Every value has a working default for the sample department.</summary>
public sealed class IntakeOptions
{
    public const string Section = "Intake";

    /// <summary>The unit that owns every case from receipt; matches deploy/org/directory.json.</summary>
    public string DutyDeskUnitId { get; set; } = "u-intake-desk";

    public string DutyDeskName { get; set; } = "Complaint Intake Duty Desk";

    /// <summary>Shown as the responsible unit while the directory copy does not know the owner's unit yet.</summary>
    public string DepartmentName { get; set; } = "Riverton Police Department";

    /// <summary>Letters in front of every case number: IA-2026-00042.</summary>
    public string CaseNumberPrefix { get; set; } = "IA";

    /// <summary>Letters in front of every tracking code; cosmetic, carries no entropy.</summary>
    public string TrackingCodePrefix { get; set; } = "RPD";

    /// <summary>Anonymous filings per client IP per window.</summary>
    public RateLimit PublicFilingLimit { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Status look-ups per client IP per window; low enough that guessing codes is hopeless.</summary>
    public RateLimit PublicStatusLimit { get; set; } = new() { PermitLimit = 60, Window = TimeSpan.FromMinutes(1) };

    /// <summary>
    /// Addresses of reverse proxies (the web console, a load balancer) whose X-Forwarded-For names the
    /// real client. Empty by default: then the header is ignored, since anyone could send it, and every
    /// caller is limited by its own address. Without it, all public traffic through the console would
    /// share the console's one address and its one limit. Such a proxy must set the header to the one
    /// address it serves (nginx: <c>proxy_set_header X-Forwarded-For $remote_addr</c>); a list is not believed.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>Shown to a complainant with the outcome: how to ask for a review, or whom to contact.</summary>
    public string OutcomeContact { get; set; } =
        "If you disagree with the outcome, you can ask for a review within 30 days: call the Office of Professional Standards "
        + "on (555) 555-0100 and quote your tracking code.";

    /// <summary>The assignment service, which decides who may read a complaint (need-to-know).</summary>
    public Uri AssignmentUrl { get; set; } = new("http://127.0.0.1:5102");

    public sealed class RateLimit
    {
        public int PermitLimit { get; set; }
        public TimeSpan Window { get; set; }
    }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DutyDeskUnitId))
            throw new InvalidOperationException("Intake:DutyDeskUnitId must name the intake duty desk unit.");
        if (string.IsNullOrWhiteSpace(DutyDeskName))
            throw new InvalidOperationException("Intake:DutyDeskName must not be empty.");
        foreach (var proxy in TrustedProxies)
            if (!System.Net.IPAddress.TryParse(proxy, out _))
                throw new InvalidOperationException($"Intake:TrustedProxies: '{proxy}' is not an IP address.");
        foreach (var (name, limit) in new[] { ("PublicFilingLimit", PublicFilingLimit), ("PublicStatusLimit", PublicStatusLimit) })
            if (limit.PermitLimit < 1 || limit.Window <= TimeSpan.Zero)
                throw new InvalidOperationException($"Intake:{name} needs a positive PermitLimit and Window.");
    }
}
