namespace Accountability.Console;

/// <summary>Settings under "Console".</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>Base URLs of the five services the console calls with the user's token. It never reads their databases.</summary>
    public ServiceUrls Services { get; set; } = new();

    /// <summary>
    /// Sign in as any person of the directory, without a password: for `make up` and tests only.
    /// Honoured only when the host runs in the Development environment; anywhere else the console refuses to start with it on.
    /// </summary>
    public bool DevelopmentSignIn { get; set; }

    /// <summary>A deployment's OpenID Connect provider (authorization code flow with PKCE).</summary>
    public OidcOptions Oidc { get; set; } = new();

    /// <summary>The department's time zone (IANA id): the public form's "when did it happen" is read in it.</summary>
    public string TimeZone { get; set; } = "America/Chicago";

    /// <summary>The department's zone (validated at start).</summary>
    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    /// <summary>An instant as people at the department read a clock.</summary>
    public DateTimeOffset ToLocal(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone);

    /// <summary>How many open cases the board shows at most (newest first).</summary>
    public int BoardSize { get; set; } = 100;

    /// <summary>
    /// What the receipt promises a complainant who gave contact details: the first-contact clock of the
    /// department's SLA policy (deploy/escalation/policies.json: 2 business days). A test keeps the two in step.
    /// </summary>
    public string FirstContactPromise { get; set; } = "2 working days";

    public sealed class ServiceUrls
    {
        public Uri Intake { get; set; } = new("http://127.0.0.1:5101");
        public Uri Assignment { get; set; } = new("http://127.0.0.1:5102");
        public Uri Escalation { get; set; } = new("http://127.0.0.1:5103");
        public Uri Notification { get; set; } = new("http://127.0.0.1:5104");
        public Uri Audit { get; set; } = new("http://127.0.0.1:5105");
    }

    public sealed class OidcOptions
    {
        /// <summary>The provider's issuer URL; its /.well-known/openid-configuration is read at start. Empty: no OIDC sign-in.</summary>
        public string? Authority { get; set; }
        public string ClientId { get; set; } = "accountability-console";
        public string? ClientSecret { get; set; }
        public string Scopes { get; set; } = "openid profile";
        public bool RequireHttpsMetadata { get; set; } = true;

        public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
    }

    /// <summary>Refuses settings that would open the console wider than intended, with the reason.</summary>
    public void Validate(bool isDevelopment)
    {
        if (DevelopmentSignIn && !isDevelopment)
            throw new InvalidOperationException(
                "Console:DevelopmentSignIn lets anyone act as anyone; it is only allowed when ASPNETCORE_ENVIRONMENT=Development.");
        if (!DevelopmentSignIn && !Oidc.Enabled)
            throw new InvalidOperationException(
                "Staff cannot sign in: set Console:Oidc:Authority (deployments) or, in Development, Console:DevelopmentSignIn=true.");
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
            throw new InvalidOperationException($"Console:TimeZone '{TimeZone}' is not a time zone this machine knows (use an IANA id such as America/Chicago).");
        if (BoardSize is < 1 or > 500)
            throw new InvalidOperationException("Console:BoardSize must be between 1 and 500.");
        foreach (var (name, url) in new[] { ("Intake", Services.Intake), ("Assignment", Services.Assignment), ("Escalation", Services.Escalation),
                     ("Notification", Services.Notification), ("Audit", Services.Audit) })
            if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
                throw new InvalidOperationException($"Console:Services:{name} must be an absolute http(s) URL.");
    }
}
