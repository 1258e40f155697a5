using System.Globalization;
using System.Text.Json;
using System.Xml;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Accountability.TestSupport.Smtp;
using Microsoft.Playwright;
using Xunit;

namespace Accountability.Console.Tests.Support;

/// <summary>
/// The five services and the console as real processes, a real OpenID provider (oidc-provider) whose
/// access tokens the services accept besides the local test tokens, and one headless Chromium (Debian's,
/// driven by Playwright) to use the console as people do. Escalation runs on a manual clock, so a test can make
/// a deadline pass; its gap monitor only reports, so the unowned count a test sees is not changed under it.
/// </summary>
public sealed class ConsoleSystem : IAsyncLifetime
{
    /// <summary>Debian's chromium package; CHROMIUM_PATH overrides it.</summary>
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>The console's public address in the complainant's e-mails, as behind a reverse proxy; tests follow the path.</summary>
    public const string PublicConsoleUrl = "https://complaints.console.test";

    private readonly string run = Guid.NewGuid().ToString("N")[..12];
    private readonly string database = IsolatedDatabase.NewName("console");
    private IsolatedVirtualHost? virtualHost;

    /// <summary>
    /// A database and a broker virtual host of the fixture's own: other assemblies' intake and assignment
    /// instances would otherwise share these cases, and their events would keep refreshing the live pages
    /// (and moving their rows) while a test clicks.
    /// </summary>
    private readonly Dictionary<string, string> isolation = [];
    private readonly List<IBrowserContext> contexts = [];
    private IPlaywright? playwright;

    public SmtpTestServer Smtp { get; private set; } = null!;
    public OidcTestProvider Provider { get; private set; } = null!;
    public ServiceProcess Intake { get; private set; } = null!;
    public ServiceProcess Assignment { get; private set; } = null!;
    public ServiceProcess Escalation { get; private set; } = null!;
    public ServiceProcess Notification { get; private set; } = null!;
    public ServiceProcess Audit { get; private set; } = null!;
    public ServiceProcess Console { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    private string EscalationSchema => $"esc_console_{run}";
    private string NotificationSchema => $"notif_console_{run}";
    private string AuditSchema => $"audit_console_{run}";

    public async Task InitializeAsync()
    {
        try
        {
            if (!File.Exists(ChromiumPath))
                throw new InvalidOperationException($"No browser at {ChromiumPath}: install Debian's chromium package (deploy/local/test.sh does) or set CHROMIUM_PATH.");
            Smtp = await SmtpTestServer.StartAsync();
            Provider = await OidcTestProvider.StartAsync();
            isolation["Auth__Authority"] = Provider.Authority;
            isolation["Auth__RequireHttpsMetadata"] = "false";
            isolation["ConnectionStrings__Accountability"] = await IsolatedDatabase.CreateAsync(TestEnvironment.PostgresConnectionString, database);
            virtualHost = await IsolatedVirtualHost.CreateAsync("console");
            isolation["RabbitMq__Uri"] = virtualHost.AmqpUri;
            // Assignment first: intake asks it who may read a complaint (need-to-know).
            Assignment = await Start("Assignment");
            Intake = await Start("Intake", new Dictionary<string, string>
            {
                // The tests look codes up often; the per-address limit is for the public, not for them.
                ["Intake__PublicStatusLimit__PermitLimit"] = "100000",
                ["Intake__PublicFilingLimit__PermitLimit"] = "100000",
                ["Intake__AssignmentUrl"] = Url(Assignment),
            });
            var escalation = Start("Escalation", new Dictionary<string, string>
            {
                ["Escalation__Schema"] = EscalationSchema,
                ["Escalation__AssignmentUrl"] = Url(Assignment),
                ["Escalation__Clock"] = "manual",
                ["Escalation__TimerPollInterval"] = "00:00:00.200",
                ["Escalation__GapMonitorEscalates"] = "false",
                ["Escalation__GapMonitorInterval"] = "00:00:02",
            });
            var notification = Start("Notification", new Dictionary<string, string>
            {
                ["Notification__Schema"] = NotificationSchema,
                ["Notification__Smtp__Host"] = Smtp.Host,
                ["Notification__Smtp__Port"] = Smtp.Port.ToString(CultureInfo.InvariantCulture),
                // The in-process test server speaks plain SMTP on loopback; STARTTLS and AUTH are tested against aiosmtpd.
                ["Notification__Smtp__Security"] = "None",
                ["Notification__Webhooks__SigningSecret"] = $"console-webhook-secret-{Guid.NewGuid():N}",
                ["Notification__PublicStatusUrl"] = $"{PublicConsoleUrl}/public/status?code={{trackingCode}}",
                ["Notification__PublicSatisfactionUrl"] = $"{PublicConsoleUrl}/public/satisfaction/{{token}}",
                ["Notification__PublicOptOutUrl"] = $"{PublicConsoleUrl}/public/opt-out/{{token}}",
            });
            var audit = Start("Audit", new Dictionary<string, string>
            {
                ["Audit__Schema"] = AuditSchema,
                ["Audit__TransientQueue"] = "true",
                ["Audit__CheckpointEveryEvents"] = "25",
                ["Audit__CheckpointInterval"] = "00:00:05",
            });
            Escalation = await escalation;
            Notification = await notification;
            Audit = await audit;
            Console = await StartConsoleAsync("Development", new Dictionary<string, string> { ["Console__DevelopmentSignIn"] = "true" });
            // The copy-keeping services started after assignment announced its directory: have it announced again.
            await using (await Start("Assignment"))
            {
            }

            playwright = await Playwright.CreateAsync();
            Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
            });
            Assertions.SetDefaultExpectTimeout(30_000);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    private Task<ServiceProcess> Start(string name, Dictionary<string, string>? settings = null, bool waitUntilReady = true, int? port = null)
    {
        var all = new Dictionary<string, string>(isolation);
        foreach (var (key, value) in settings ?? [])
            all[key] = value;
        // A journey sees what a person would: the services wait for companions as long as a deployment's do.
        return ServiceProcess.StartAsync(name, all, waitUntilReady, port, shippedLingers: true);
    }

    private static string Url(ServiceProcess service) => service.BaseAddress.ToString().TrimEnd('/');

    /// <summary>A console process in the given environment, pointed at this fixture's services; the caller disposes it.</summary>
    public Task<ServiceProcess> StartConsoleAsync(string environment, IDictionary<string, string> settings, bool waitUntilReady = true, int? port = null)
    {
        var all = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            // Outside Development the style sheet is served from the web root, which a build (unlike a publish) leaves in the project.
            ["ASPNETCORE_WEBROOT"] = RepositoryPaths.File("services", "Console", "wwwroot"),
            ["Console__Services__Intake"] = Url(Intake),
            ["Console__Services__Assignment"] = Url(Assignment),
            ["Console__Services__Escalation"] = Url(Escalation),
            ["Console__Services__Notification"] = Url(Notification),
            ["Console__Services__Audit"] = Url(Audit),
        };
        foreach (var (key, value) in settings)
            all[key] = value;
        return Start("Console", all, waitUntilReady, port);
    }

    /// <summary>
    /// A console as deployed (Production): staff sign in through the test provider only, as a client registered
    /// for this console's address; its access tokens are for the services' resource. The caller disposes it.
    /// </summary>
    public async Task<(ServiceProcess Console, OidcTestProvider.RegisteredClient Client)> StartConsoleWithProviderAsync()
    {
        var port = ServiceProcess.FreePort();
        var address = $"http://127.0.0.1:{port}";
        var client = await Provider.RegisterClientAsync($"{address}/signin/oidc/callback", $"{address}/signout/oidc/callback");
        var console = await StartConsoleAsync("Production", new Dictionary<string, string>
        {
            ["Console__Oidc__Authority"] = Provider.Authority,
            ["Console__Oidc__ClientId"] = client.ClientId,
            ["Console__Oidc__ClientSecret"] = client.ClientSecret,
            ["Console__Oidc__Scopes"] = OidcTestProvider.ConsoleScopes,
            ["Console__Oidc__Resource"] = OidcTestProvider.ServicesResource,
            ["Console__Oidc__RequireHttpsMetadata"] = "false",
        }, port: port);
        return (console, client);
    }

    /// <summary>A fresh browser (no cookies), on the console. Phone-sized when asked.</summary>
    public async Task<IPage> OpenAsync(bool phone = false, string? baseUrl = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl?.TrimEnd('/') ?? Url(Console),
            ViewportSize = phone ? new ViewportSize { Width = 390, Height = 844 } : new ViewportSize { Width = 1366, Height = 900 },
            IsMobile = phone,
            HasTouch = phone,
        });
        context.SetDefaultTimeout(30_000);
        lock (contexts)
            contexts.Add(context);
        return await context.NewPageAsync();
    }

    /// <summary>A browser signed in as that person through the development sign-in, as a person would.</summary>
    public async Task<IPage> SignedInAsAsync(string personId)
    {
        var page = await OpenAsync();
        await page.GotoAsync("/signin");
        await page.Locator($"button[data-person='{personId}']").ClickAsync();
        await Assertions.Expect(page.GetByTestId("signed-in-as")).ToBeVisibleAsync();
        return page;
    }

    /// <summary>
    /// Waits for the page's answer to an action: the success flash with <paramref name="text"/>. When the console
    /// shows its error flash instead, the test fails with that sentence, which names the cause, rather than with a
    /// bare timeout on the missing success flash.
    /// </summary>
    public static async Task ExpectDoneAsync(IPage page, string text)
    {
        var answer = page.Locator("[data-testid='flash'], [data-testid='flash-error']").First;
        await Assertions.Expect(answer).ToBeVisibleAsync();
        if (await answer.GetAttributeAsync("data-testid") == "flash-error")
            Assert.Fail($"expected '{text}', but the page said: {await answer.InnerTextAsync()}");
        await Assertions.Expect(page.GetByTestId("flash")).ToContainTextAsync(text);
    }

    /// <summary>Saved under tests/Accountability.Console.Tests/screenshots/ (git-ignored); docs/screenshots/ keeps one of each.</summary>
    public static async Task ScreenshotAsync(IPage page, string name, bool fullPage = true)
    {
        var folder = RepositoryPaths.File("tests", "Accountability.Console.Tests", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"{name}.png"), FullPage = fullPage });
    }

    public static string Token(string personId, params string[] roles) => TestTokens.For(personId, roles);

    /// <summary>Files a complaint through intake's staff API, as a clerk on the phone would; the case id.</summary>
    public async Task<Guid> FileAsync(string category, string district, string narrative, object? complainant = null, string[]? subjectOfficers = null,
        object? location = null)
    {
        var reply = await Intake.SendAsync(HttpMethod.Post, "/api/complaints", Token("p-1007", Roles.IntakeClerk),
            System.Net.Http.Json.JsonContent.Create(new
            {
                category, narrative, channel = "phone", district,
                complainant = complainant ?? new { anonymous = true },
                subjectOfficers,
                location,
            }), new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString() });
        Assert.True(reply.IsSuccess, reply.ToString());
        return reply.Json.GetProperty("caseId").GetGuid();
    }

    /// <summary>Waits until routing gave the case to a person; that person's id.</summary>
    public async Task<string> RoutedOwnerAsync(Guid caseId)
    {
        var routed = await Assignment.GetUntilAsync($"/api/cases/{caseId}", Token("p-1009", Roles.Dispatcher),
            c => c.GetProperty("owner").GetProperty("kind").GetString() == "person", $"case {caseId} is routed to a person");
        return routed.GetProperty("owner").GetProperty("id").GetString()!;
    }

    /// <summary>The owner records a finding on every allegation and resolves the case with a note, over the API.</summary>
    public async Task ResolveAsync(Guid caseId, string owner, string finding = "sustained", string note = "Findings recorded; the complainant was written to.")
    {
        var token = Token(owner, Roles.Investigator);
        var view = (await Assignment.GetAsync($"/api/cases/{caseId}", token)).Ok();
        foreach (var allegation in view.GetProperty("allegations").EnumerateArray().Where(a => a.GetProperty("finding").ValueKind == JsonValueKind.Null))
        {
            var recorded = await Assignment.PostAsync($"/api/cases/{caseId}/findings", token, new { allegationId = allegation.GetProperty("id").GetString(), finding });
            Assert.True(recorded.IsSuccess, recorded.ToString());
        }
        var resolved = await Assignment.PostAsync($"/api/cases/{caseId}/resolve", token, new { reason = note });
        Assert.True(resolved.IsSuccess, resolved.ToString());
    }

    /// <summary>A connection to this fixture's intake schema (for what no page shows staff, such as a tracking code's case).</summary>
    public async Task<Npgsql.NpgsqlConnection> OpenIntakeAsync()
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(isolation["ConnectionStrings__Accountability"]) { SearchPath = "intake,public" };
        var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The directory in force, as assignment serves it.</summary>
    public async Task<JsonElement> DirectoryAsync() =>
        (await Assignment.GetAsync("/api/directory", Token("p-1009", Roles.Dispatcher))).Ok().GetProperty("directory");

    /// <summary>
    /// Moves the manual clock just past the case's acknowledge deadline for its current owner, and no
    /// further, so that breach (and its escalation) is the one that fires.
    /// </summary>
    public async Task BreachAcknowledgeAsync(Guid caseId, string ownerId)
    {
        var admin = Token("p-1005", Roles.Admin);
        var clocks = await Escalation.GetUntilAsync($"/api/cases/{caseId}/clocks", Token("p-1009", Roles.Dispatcher),
            all => all.EnumerateArray().Any(c => c.GetProperty("clock").GetString() == "acknowledge" && c.GetProperty("ownerId").GetString() == ownerId
                                                  && c.GetProperty("dueAt").ValueKind == JsonValueKind.String),
            $"the acknowledge clock of {caseId} runs for {ownerId}");
        var dueAt = clocks.EnumerateArray().First(c => c.GetProperty("clock").GetString() == "acknowledge" && c.GetProperty("ownerId").GetString() == ownerId)
            .GetProperty("dueAt").GetDateTimeOffset();
        var now = (await Escalation.GetAsync("/api/test-clock", admin)).Ok().GetProperty("now").GetDateTimeOffset();
        if (dueAt > now)
        {
            var by = TimeSpan.FromMilliseconds(Math.Ceiling((dueAt - now).TotalMilliseconds) + 1);
            (await Escalation.PostAsync("/api/test-clock/advance", admin, new { by = XmlConvert.ToString(by) })).Ok();
        }
    }

    public async Task DisposeAsync()
    {
        List<IBrowserContext> open;
        lock (contexts)
            open = [.. contexts];
        foreach (var context in open)
            await context.CloseAsync();
        if (Browser is not null)
            await Browser.CloseAsync();
        playwright?.Dispose();
        foreach (var process in new[] { Console, Escalation, Notification, Audit, Intake, Assignment }.OfType<ServiceProcess>())
            await process.DisposeAsync();
        if (Smtp is not null)
            await Smtp.DisposeAsync();
        if (Provider is not null)
            await Provider.DisposeAsync();
        if (virtualHost is not null)
            await virtualHost.DisposeAsync();
        await IsolatedDatabase.DropAsync(TestEnvironment.PostgresConnectionString, database);
        // The audit writer role is the server's, not the database's.
        await RunState.DropAsync([], auditSchema: AuditSchema);
    }
}

[CollectionDefinition(nameof(ConsoleSystem))]
public sealed class ConsoleSystemCollection : ICollectionFixture<ConsoleSystem>;
