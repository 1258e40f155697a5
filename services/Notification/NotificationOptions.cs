namespace Accountability.Notification;

/// <summary>Settings under "Notification". Every value has a working default except the SMTP relay and the webhook secret.</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notification";

    /// <summary>
    /// The PostgreSQL schema, and the prefix of the queue names. A second, isolated instance (a test
    /// run next to `make up`) sets its own.
    /// </summary>
    public string Schema { get; set; } = "notification";

    /// <summary>Folder of the template files; relative paths are taken from the application folder.</summary>
    public string TemplatesPath { get; set; } = "Templates";

    /// <summary>Intake's public status page; "{trackingCode}" is replaced with the case's code.</summary>
    public string PublicStatusUrl { get; set; } = "http://127.0.0.1:5101/api/public/status/{trackingCode}";

    /// <summary>Where the public reaches this service: the opt-out link (and, by default, the satisfaction link) start with it.</summary>
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:5104";

    /// <summary>
    /// The page that asks the satisfaction question; "{token}" is replaced with the case's secret token.
    /// Empty means this service's own plain page ({PublicBaseUrl}/api/public/satisfaction/{token});
    /// a deployment with the console points it at the console's public page instead.
    /// </summary>
    public string PublicSatisfactionUrl { get; set; } = "";

    /// <summary>
    /// The page, linked in the message body, where a complainant stops progress updates; "{token}" is
    /// replaced with their secret token. Empty means this service's own page. The List-Unsubscribe
    /// header always names this service's endpoint: a mail client's one-click POST carries no form token.
    /// </summary>
    public string PublicOptOutUrl { get; set; } = "";

    /// <summary>The console's case page, linked from every staff e-mail; "{caseId}" is replaced with the case.</summary>
    public string StaffCaseUrl { get; set; } = "http://127.0.0.1:5100/cases/{caseId}";

    /// <summary>
    /// A page of the console, at the same address as <see cref="StaffCaseUrl"/> with "cases/{caseId}" replaced by
    /// <paramref name="path"/> (no setting of its own: the console has one address).
    /// </summary>
    public string StaffPageUrl(string path)
    {
        var at = StaffCaseUrl.IndexOf("/cases/{caseId}", StringComparison.Ordinal);
        var root = at >= 0 ? StaffCaseUrl[..at] : new Uri(StaffCaseUrl.Replace("{caseId}", "x", StringComparison.Ordinal)).GetLeftPart(UriPartial.Authority);
        return $"{root}/{path.TrimStart('/')}";
    }

    /// <summary>Signs the messages; used when the directory does not name the owning unit.</summary>
    public string DepartmentName { get; set; } = "Riverton Police Department";

    public SmtpSettings Smtp { get; set; } = new();

    public WebhookSettings Webhooks { get; set; } = new();

    public DeliverySettings Delivery { get; set; } = new();

    public sealed class SmtpSettings
    {
        /// <summary>The relay; empty means e-mail is not configured, and e-mail deliveries fail saying so.</summary>
        public string Host { get; set; } = "";

        public int Port { get; set; } = 25;

        public string From { get; set; } = "complaints@riverton.example";

        /// <summary>The name this service gives in EHLO.</summary>
        public string HeloName { get; set; } = "accountability-notification";

        /// <summary>The limit on each step with the relay: connect (with TLS), AUTH, a check of a pooled connection, and one send.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>
        /// How the connection is protected. STARTTLS by default; implicit TLS (port 465) or no TLS at
        /// all only when a deployment says so, since a relay that drops STARTTLS must not get plain text.
        /// </summary>
        public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

        /// <summary>AUTH user name; empty means no AUTH (a relay that trusts the network).</summary>
        public string UserName { get; set; } = "";

        /// <summary>AUTH password. Never logged, and never sent without TLS.</summary>
        public string Password { get; set; } = "";

        /// <summary>
        /// A PEM file of certificates to trust for the relay besides the system's CA store: a private
        /// relay's own certificate or its private CA. Empty: the system's CA store only.
        /// </summary>
        public string TrustedCertificatePath { get; set; } = "";

        // The settings can reach a log line or a debugger view; the password must not.
        public override string ToString() =>
            $"SmtpSettings {{ Host = {Host}, Port = {Port}, Security = {Security}, UserName = {UserName}, Password = {(Password.Length > 0 ? "(set)" : "(empty)")} }}";
    }

    /// <summary>Notification:Smtp:Security.</summary>
    public enum SmtpSecurity
    {
        /// <summary>Plain connect, then STARTTLS before anything else; a relay without it is refused.</summary>
        StartTls,

        /// <summary>TLS from the first byte (usually port 465).</summary>
        SslOnConnect,

        /// <summary>No TLS: only for a sink on loopback or a relay on a trusted wire.</summary>
        None,
    }

    public sealed class WebhookSettings
    {
        /// <summary>The HMAC-SHA256 key shared with the receivers; empty means webhooks fail saying so.</summary>
        public string SigningSecret { get; set; } = "";

        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

        /// <summary>
        /// Internal networks (CIDR, e.g. 10.20.0.0/16) that webhooks may reach anyway, such as a receiver on the
        /// department's own network. Empty by default: loopback, private and link-local addresses are refused.
        /// </summary>
        public List<string> AllowedNetworks { get; set; } = [];
    }

    public sealed class DeliverySettings
    {
        /// <summary>Attempts per (re-)drive before a delivery is given up as failed.</summary>
        public int MaxAttempts { get; set; } = 8;

        public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);

        public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

        /// <summary>The longest a dispatcher sleeps: it wakes when the next retry comes due, and when a consumer records a delivery.</summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Dispatch loops in one instance. Each claims up to <see cref="BatchSize"/> due deliveries at a time.</summary>
        public int Workers { get; set; } = 2;

        /// <summary>
        /// Due deliveries one worker claims together and sends at once, each on its own relay connection: one instance holds
        /// at most Workers × BatchSize connections to the relay.
        /// </summary>
        public int BatchSize { get; set; } = 4;

        /// <summary>
        /// How long a worker woken for new deliveries waits before it claims (500 ms by default, 0 to 10 s). A complaint's
        /// deliveries are recorded some tens of milliseconds apart, and at a few complaints a second a few hundred
        /// apart; waiting lets one claim and one record take them all. While a worker waits, further wake-ups are left to
        /// it. Zero claims at once.
        /// </summary>
        public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(500);

        /// <summary>
        /// How long a claim's first outcome waits for the claim's other outcomes before it is recorded alone (50 ms by
        /// default, 0 to 10 s). The attempts run side by side and mostly end together, so a claim is then one record and
        /// one batch of announcements; once every outcome is in, the record goes at once. Zero records each outcome as
        /// soon as the writer is free.
        /// </summary>
        public TimeSpan RecordLinger { get; set; } = TimeSpan.FromMilliseconds(50);
    }

    /// <summary>
    /// The longest one attempt may take, whatever its channel: three of the longer step timeout (an attempt may connect,
    /// check a pooled connection and send). An attempt still running then is cut short and retried later.
    /// </summary>
    public TimeSpan AttemptDeadline => 3 * (Smtp.Timeout > Webhooks.Timeout ? Smtp.Timeout : Webhooks.Timeout);

    /// <summary>
    /// How long a claim keeps a delivery from other workers and instances: the attempt's deadline, and one step timeout more
    /// to record it. A worker that dies mid-send leaves its deliveries to be claimed again when this runs out (two minutes
    /// with the default timeouts); one that stops gracefully gives them back at once.
    /// </summary>
    public TimeSpan ClaimLease => AttemptDeadline / 3 * 4;

    /// <summary>Fills a link template of the public pages, or returns null when it is not set.</summary>
    public static string? FillLink(string template, string token) =>
        template.Length == 0 ? null : template.Replace("{token}", Uri.EscapeDataString(token), StringComparison.Ordinal);

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is ("http" or "https");

    private static void RequireLinkTemplate(string name, string template)
    {
        if (template.Length > 0
            && (!template.Contains("{token}", StringComparison.Ordinal) || !IsHttpUrl(template.Replace("{token}", "t", StringComparison.Ordinal))))
            throw new InvalidOperationException($"Notification:{name} must be empty or an absolute http(s) URL containing {{token}}.");
    }

    /// <summary>
    /// Checks what the binder would turn into an unclear conversion error, or quietly into a number:
    /// Notification:Smtp:Security must name one of the choices.
    /// </summary>
    public static void CheckRawValues(IConfiguration configuration)
    {
        var security = configuration[$"{Section}:Smtp:Security"];
        if (!string.IsNullOrEmpty(security) && !Enum.GetNames<SmtpSecurity>().Contains(security, StringComparer.OrdinalIgnoreCase))
            throw new InvalidOperationException($"Notification:Smtp:Security must be StartTls (the default), SslOnConnect or None, not '{security}'.");
    }

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Schema))
            throw new InvalidOperationException("Notification:Schema must name a schema.");
        if (!PublicStatusUrl.Contains("{trackingCode}", StringComparison.Ordinal))
            throw new InvalidOperationException("Notification:PublicStatusUrl must contain {trackingCode}.");
        if (!IsHttpUrl(PublicBaseUrl))
            throw new InvalidOperationException("Notification:PublicBaseUrl must be an absolute http(s) URL.");
        RequireLinkTemplate(nameof(PublicSatisfactionUrl), PublicSatisfactionUrl);
        RequireLinkTemplate(nameof(PublicOptOutUrl), PublicOptOutUrl);
        if (!StaffCaseUrl.Contains("{caseId}", StringComparison.Ordinal) || !IsHttpUrl(StaffCaseUrl.Replace("{caseId}", "x", StringComparison.Ordinal)))
            throw new InvalidOperationException("Notification:StaffCaseUrl must be an absolute http(s) URL containing {caseId}.");
        if (Smtp.Port is < 1 or > 65535)
            throw new InvalidOperationException($"Notification:Smtp:Port must be between 1 and 65535, not {Smtp.Port}.");
        if (!System.Net.Mail.MailAddress.TryCreate(Smtp.From, out var from) || from.Address != Smtp.From)
            throw new InvalidOperationException("Notification:Smtp:From must be a plain e-mail address.");
        if (!Enum.IsDefined(Smtp.Security))
            throw new InvalidOperationException($"Notification:Smtp:Security must be StartTls, SslOnConnect or None, not {Smtp.Security}.");
        if (Smtp.UserName.Length > 0 != Smtp.Password.Length > 0)
            throw new InvalidOperationException("Notification:Smtp:UserName and Notification:Smtp:Password must be set together (or neither, for a relay without AUTH).");
        if (Smtp.UserName.Length > 0 && Smtp.Security == SmtpSecurity.None)
            throw new InvalidOperationException("Notification:Smtp:UserName is set with Notification:Smtp:Security=None: the password would cross the network in plain text. Use StartTls or SslOnConnect.");
        if (Smtp.TrustedCertificatePath.Length > 0)
        {
            if (!File.Exists(Smtp.TrustedCertificatePath))
                throw new InvalidOperationException($"Notification:Smtp:TrustedCertificatePath: the file '{Smtp.TrustedCertificatePath}' does not exist.");
            var trusted = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
            trusted.ImportFromPemFile(Smtp.TrustedCertificatePath);
            if (trusted.Count == 0)
                throw new InvalidOperationException($"Notification:Smtp:TrustedCertificatePath: '{Smtp.TrustedCertificatePath}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
            if (Smtp.Security == SmtpSecurity.None)
                throw new InvalidOperationException("Notification:Smtp:TrustedCertificatePath is set with Notification:Smtp:Security=None, which never checks a certificate.");
        }
        if (Smtp.Timeout <= TimeSpan.Zero || Webhooks.Timeout <= TimeSpan.Zero)
            throw new InvalidOperationException("Notification:Smtp:Timeout and Notification:Webhooks:Timeout must be positive.");
        if (Delivery.MaxAttempts is < 1 or > 100)
            throw new InvalidOperationException($"Notification:Delivery:MaxAttempts must be between 1 and 100, not {Delivery.MaxAttempts}.");
        if (Delivery.InitialBackoff <= TimeSpan.Zero || Delivery.MaxBackoff < Delivery.InitialBackoff)
            throw new InvalidOperationException("Notification:Delivery:InitialBackoff must be positive and no larger than MaxBackoff.");
        if (Delivery.PollInterval <= TimeSpan.Zero)
            throw new InvalidOperationException("Notification:Delivery:PollInterval must be positive.");
        foreach (var network in Webhooks.AllowedNetworks)
            if (!System.Net.IPNetwork.TryParse(network, out _))
                throw new InvalidOperationException($"Notification:Webhooks:AllowedNetworks: '{network}' is not a network in CIDR form (e.g. 10.20.0.0/16).");
        if (Delivery.Workers is < 1 or > 64)
            throw new InvalidOperationException($"Notification:Delivery:Workers must be between 1 and 64, not {Delivery.Workers}.");
        if (Delivery.BatchSize is < 1 or > 64)
            throw new InvalidOperationException($"Notification:Delivery:BatchSize must be between 1 and 64, not {Delivery.BatchSize}.");
        if (Delivery.Linger < TimeSpan.Zero || Delivery.Linger > TimeSpan.FromSeconds(10))
            throw new InvalidOperationException($"Notification:Delivery:Linger must be from 00:00:00 to 00:00:10, not {Delivery.Linger}.");
        if (Delivery.RecordLinger < TimeSpan.Zero || Delivery.RecordLinger > TimeSpan.FromSeconds(10))
            throw new InvalidOperationException($"Notification:Delivery:RecordLinger must be from 00:00:00 to 00:00:10, not {Delivery.RecordLinger}.");
    }
}
