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

    /// <summary>A deployment's OpenID Connect provider (authorization code flow with PKCE, RP-initiated sign-out).</summary>
    public OidcOptions Oidc { get; set; } = new();

    /// <summary>The department's time zone (IANA id): the public form's "when did it happen" is read in it.</summary>
    public string TimeZone { get; set; } = "America/Chicago";

    /// <summary>The department's zone (validated at start).</summary>
    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    /// <summary>An instant as people at the department read a clock.</summary>
    public DateTimeOffset ToLocal(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone);

    /// <summary>An instant in the department's time zone, in words: "3 Mar 2026, 14:05 (Central Standard Time)".</summary>
    public string InWords(DateTimeOffset instant)
    {
        var zone = Zone;
        var local = ToLocal(instant);
        return $"{local.ToString("d MMM yyyy, HH:mm", System.Globalization.CultureInfo.GetCultureInfo("en-US"))} ({(zone.IsDaylightSavingTime(local) ? zone.DaylightName : zone.StandardName)})";
    }

    /// <summary>How many cases the board shows at most.</summary>
    public int BoardSize { get; set; } = 100;

    /// <summary>
    /// What the receipt promises a complainant who gave contact details: the first-contact clock of the
    /// department's SLA policy (deploy/escalation/policies.json: 2 business days). A test keeps the two in step.
    /// </summary>
    public string FirstContactPromise { get; set; } = "2 working days";

    /// <summary>
    /// Addresses of the reverse proxies (a TLS-terminating load balancer) whose X-Forwarded-For and
    /// X-Forwarded-Proto the console believes, one hop only. Behind such a proxy the request counts as
    /// https, so the session cookie is marked Secure, and intake sees each person's own address.
    /// Empty by default: then the headers are ignored, since anyone could send them.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    public DataProtectionSettings DataProtection { get; set; } = new();

    /// <summary>
    /// Where the keys that seal the session cookie live, and the certificate that encrypts them at rest.
    /// Several console instances share one folder. Without a folder the keys live in memory only outside
    /// Development (a restart signs everyone out); a folder without a certificate is refused there, since
    /// the keys would lie on disk in plain text.
    /// </summary>
    public sealed class DataProtectionSettings
    {
        public string? KeysPath { get; set; }

        /// <summary>A PKCS#12 (.pfx) file with a private key.</summary>
        public string? CertificatePath { get; set; }

        public string? CertificatePassword { get; set; }
    }

    public sealed class ServiceUrls
    {
        public Uri Intake { get; set; } = new("http://127.0.0.1:5101");
        public Uri Assignment { get; set; } = new("http://127.0.0.1:5102");
        public Uri Escalation { get; set; } = new("http://127.0.0.1:5103");
        public Uri Notification { get; set; } = new("http://127.0.0.1:5104");
        public Uri Audit { get; set; } = new("http://127.0.0.1:5105");
    }

    /// <summary>
    /// A deployment's OpenID Connect provider, used through ASP.NET Core's OpenIdConnect handler
    /// (authorization code flow with PKCE). Register with the provider the redirect URI
    /// <c>{console}/signin/oidc/callback</c> and the post-logout redirect URI <c>{console}/signout/oidc/callback</c>.
    /// </summary>
    public sealed class OidcOptions
    {
        /// <summary>The provider's issuer URL; its /.well-known/openid-configuration is read at the first sign-in. Empty: no OIDC sign-in.</summary>
        public string? Authority { get; set; }
        public string ClientId { get; set; } = "accountability-console";
        public string? ClientSecret { get; set; }

        /// <summary>Space-separated. The id token must carry "name" and the "role" claims: ask for the scopes that release them.</summary>
        public string Scopes { get; set; } = "openid profile";

        /// <summary>
        /// The resource indicator (RFC 8707) of the services, sent in the authorization and token requests, so that the
        /// access token is issued for the audience the services accept (Auth:Audience). Empty: the provider's default.
        /// </summary>
        public string? Resource { get; set; }

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
        if (Oidc.Enabled)
        {
            if (!Uri.TryCreate(Oidc.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("http" or "https"))
                throw new InvalidOperationException($"Console:Oidc:Authority '{Oidc.Authority}' must be the provider's absolute http(s) issuer URL.");
            if (authority.Scheme == "http" && Oidc.RequireHttpsMetadata)
                throw new InvalidOperationException(
                    "Console:Oidc:Authority is plain http: use the provider's https address, or set Console:Oidc:RequireHttpsMetadata=false for a provider on this machine.");
            if (string.IsNullOrWhiteSpace(Oidc.ClientId))
                throw new InvalidOperationException("Console:Oidc:ClientId is empty: give the client id the provider registered for the console.");
            if (!Oidc.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("openid"))
                throw new InvalidOperationException($"Console:Oidc:Scopes '{Oidc.Scopes}' lacks 'openid': without it there is no id token to sign in with.");
            if (!string.IsNullOrWhiteSpace(Oidc.Resource) && !Uri.TryCreate(Oidc.Resource, UriKind.Absolute, out _))
                throw new InvalidOperationException($"Console:Oidc:Resource '{Oidc.Resource}' must be an absolute URI (a resource indicator, RFC 8707).");
        }
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(TimeZone, out _))
            throw new InvalidOperationException($"Console:TimeZone '{TimeZone}' is not a time zone this machine knows (use an IANA id such as America/Chicago).");
        if (BoardSize is < 1 or > 500)
            throw new InvalidOperationException("Console:BoardSize must be between 1 and 500.");
        foreach (var proxy in TrustedProxies)
            if (!System.Net.IPAddress.TryParse(proxy, out _))
                throw new InvalidOperationException($"Console:TrustedProxies: '{proxy}' is not an IP address.");
        if (!string.IsNullOrWhiteSpace(DataProtection.KeysPath) && string.IsNullOrWhiteSpace(DataProtection.CertificatePath) && !isDevelopment)
            throw new InvalidOperationException(
                "Console:DataProtection:KeysPath is set without Console:DataProtection:CertificatePath: the keys that seal sign-ins "
                + "would be stored unencrypted. Give a certificate (.pfx) to encrypt them at rest.");
        if (!string.IsNullOrWhiteSpace(DataProtection.CertificatePath) && !File.Exists(DataProtection.CertificatePath))
            throw new InvalidOperationException($"Console:DataProtection:CertificatePath: no file at '{DataProtection.CertificatePath}'.");
        foreach (var (name, url) in new[] { ("Intake", Services.Intake), ("Assignment", Services.Assignment), ("Escalation", Services.Escalation),
                     ("Notification", Services.Notification), ("Audit", Services.Audit) })
            if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
                throw new InvalidOperationException($"Console:Services:{name} must be an absolute http(s) URL.");
    }
}
