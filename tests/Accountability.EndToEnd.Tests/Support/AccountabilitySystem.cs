using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Accountability.TestSupport.Smtp;
using Dapper;
using Xunit;

namespace Accountability.EndToEnd.Tests.Support;

/// <summary>
/// The five services as real processes, started once for the assembly, driven only over HTTP, with a
/// real SMTP server standing in for the complainant's mailbox.
///
/// Intake and assignment have fixed schemas, so they share theirs (and their queues) with any other
/// test run on the same servers, exactly as more instances of one service would. Escalation,
/// notification and audit can be given a schema of their own, and get one: so every event reaches
/// this run's copies, this run's audit trail verifies on its own, and this run's mail comes here.
/// </summary>
public sealed class AccountabilitySystem : IAsyncLifetime
{
    /// <summary>How long a flow across services may take.</summary>
    public static readonly TimeSpan FlowTimeout = ServiceHttp.FlowTimeout;

    /// <summary>
    /// Where the complainant's links point. The test cannot know the notification process's port
    /// before it starts, so the links name a public address, as behind a reverse proxy, and the test
    /// follows their path to the process.
    /// </summary>
    public const string PublicBaseUrl = "http://notification.e2e.test";

    private readonly string run = Guid.NewGuid().ToString("N")[..12];
    private readonly List<ServiceProcess> extra = [];
    private readonly Lazy<Task<ComplaintJourney>> journey;

    public AccountabilitySystem() => journey = new(() => ComplaintJourney.RunAsync(this));

    public string Open311ApiKey { get; } = $"e2e-open311-{Guid.NewGuid():N}";

    public SmtpTestServer Smtp { get; private set; } = null!;

    public ServiceProcess Intake { get; private set; } = null!;

    public ServiceProcess Assignment { get; private set; } = null!;

    public ServiceProcess Escalation { get; private set; } = null!;

    public ServiceProcess Notification { get; private set; } = null!;

    public ServiceProcess Audit { get; private set; } = null!;

    public string EscalationSchema => $"esc_e2e_{run}";

    public string NotificationSchema => $"notif_e2e_{run}";

    public string AuditSchema => $"audit_e2e_{run}";

    private List<string> ManualEscalationSchemas { get; } = [];

    /// <summary>The complaint of scenario 1, walked once and shared by the scenarios that look at it (whichever runs first walks it).</summary>
    public Task<ComplaintJourney> JourneyAsync() => journey.Value;

    public async Task InitializeAsync()
    {
        try
        {
            Smtp = await SmtpTestServer.StartAsync();
            // Intake and assignment first: the others need their addresses.
            // Assignment first: intake asks it who may read a complaint (need-to-know).
            Assignment = await ServiceProcess.StartAsync("Assignment");
            Intake = await ServiceProcess.StartAsync("Intake", new Dictionary<string, string>
            {
                ["Open311__ApiKeys__0"] = Open311ApiKey,
                // The tests poll the public status page; the per-address limit is for the public, not for them.
                ["Intake__PublicStatusLimit__PermitLimit"] = "100000",
                ["Intake__AssignmentUrl"] = Assignment.BaseAddress.ToString().TrimEnd('/'),
            });

            var escalation = ServiceProcess.StartAsync("Escalation", EscalationSettings(EscalationSchema));
            var notification = ServiceProcess.StartAsync("Notification", new Dictionary<string, string>
            {
                ["Notification__Schema"] = NotificationSchema,
                ["Notification__Smtp__Host"] = Smtp.Host,
                ["Notification__Smtp__Port"] = Smtp.Port.ToString(CultureInfo.InvariantCulture),
                // The in-process test server speaks plain SMTP on loopback; STARTTLS and AUTH are tested against aiosmtpd.
                ["Notification__Smtp__Security"] = "None",
                ["Notification__Smtp__Timeout"] = "00:00:10",
                ["Notification__Webhooks__SigningSecret"] = $"e2e-webhook-secret-{Guid.NewGuid():N}",
                ["Notification__Webhooks__Timeout"] = "00:00:02",
                ["Notification__PublicBaseUrl"] = PublicBaseUrl,
                ["Notification__PublicStatusUrl"] = $"{Intake.BaseAddress.ToString().TrimEnd('/')}/api/public/status/{{trackingCode}}",
                ["Notification__Delivery__PollInterval"] = "00:00:00.200",
                ["Notification__Delivery__InitialBackoff"] = "00:00:00.500",
                ["Notification__Delivery__MaxBackoff"] = "00:00:05",
            });
            var audit = ServiceProcess.StartAsync("Audit", new Dictionary<string, string>
            {
                ["Audit__Schema"] = AuditSchema,
                ["Audit__TransientQueue"] = "true",
                ["Audit__CheckpointEveryEvents"] = "25",
                ["Audit__CheckpointInterval"] = "00:00:05",
            });
            Escalation = await escalation;
            Notification = await notification;
            Audit = await audit;
            // Their queues exist only now; the directory was announced before, so have it announced again.
            await AnnounceDirectoryAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// An escalation instance whose clock stands still until the test moves it (Escalation:Clock=manual,
    /// POST /api/test-clock/advance): the real mechanism of a breach, without waiting hours. It has a
    /// schema and queues of its own, hears every event from its start, and is stopped with the fixture.
    /// </summary>
    public async Task<ServiceProcess> StartManualEscalationAsync()
    {
        var schema = $"escm_e2e_{run}_{ManualEscalationSchemas.Count}";
        ManualEscalationSchemas.Add(schema);
        var settings = EscalationSettings(schema);
        settings["Escalation__Clock"] = "manual";
        settings["Escalation__TimerPollInterval"] = "00:00:00.200";
        var process = await ServiceProcess.StartAsync("Escalation", settings);
        lock (extra)
            extra.Add(process);
        await AnnounceDirectoryAsync();
        return process;
    }

    /// <summary>
    /// Assignment announces the directory in force at every start. A copy-keeping service that started
    /// later (with a fresh schema) learns it when another instance starts: so start one, briefly.
    /// </summary>
    public async Task AnnounceDirectoryAsync()
    {
        await using var announcer = await ServiceProcess.StartAsync("Assignment");
    }

    private Dictionary<string, string> EscalationSettings(string schema) => new()
    {
        ["Escalation__Schema"] = schema,
        ["Escalation__AssignmentUrl"] = Assignment.BaseAddress.ToString().TrimEnd('/'),
        // Off on purpose: a monitor with a fresh schema has never seen the open cases other test runs
        // left in the shared assignment schema, and would escalate every stale one of them again.
        ["Escalation__GapMonitorEnabled"] = "false",
    };

    public async Task<OrgChart> DirectoryAsync() =>
        OrgChart.Parse((await Assignment.GetAsync("/api/directory", Token("p-1009", Roles.Dispatcher))).Ok());

    public static string Token(string personId, params string[] roles) => TestTokens.For(personId, roles);

    public static string Token(Person person) => TestTokens.For(person.Id, [.. person.Roles]);

    /// <summary>The last lines each process wrote, for a failure message that says what the services saw.</summary>
    public string Logs(int lines = 40)
    {
        var text = new StringBuilder();
        IEnumerable<ServiceProcess?> all;
        lock (extra)
            all = [Intake, Assignment, Escalation, Notification, Audit, .. extra];
        foreach (var process in all.OfType<ServiceProcess>())
        {
            var output = process.Output.Split('\n');
            text.Append("--- ").Append(process.Name).Append(' ').Append(process.BaseAddress).Append(process.HasExited ? " (exited)" : "").Append(" ---\n");
            text.AppendJoin('\n', output.TakeLast(lines)).Append('\n');
        }
        return text.ToString();
    }

    public async Task DisposeAsync()
    {
        List<ServiceProcess?> all;
        lock (extra)
            all = [.. extra, Escalation, Notification, Audit, Intake, Assignment];
        foreach (var process in all.OfType<ServiceProcess>())
            await process.DisposeAsync();
        if (Smtp is not null)
            await Smtp.DisposeAsync();
        await DropOwnStateAsync();
    }

    /// <summary>The schemas and queues of this run: left behind, the queues would collect every event published after it, forever.</summary>
    private Task DropOwnStateAsync() =>
        RunState.DropAsync([EscalationSchema, NotificationSchema, AuditSchema, .. ManualEscalationSchemas], auditSchema: AuditSchema);
}

[CollectionDefinition(nameof(AccountabilitySystem))]
public sealed class AccountabilitySystemCollection : ICollectionFixture<AccountabilitySystem>;
