using Accountability.Contracts.Custody;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Accountability.Contracts.Directory;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.Notification.Tests.Support;
using Accountability.ServiceDefaults.Privacy;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Accountability.TestSupport.Smtp;
using Dapper;
using MassTransit;
using Xunit;

namespace Accountability.Notification.Tests;

/// <summary>
/// One Notification process against the real PostgreSQL and RabbitMQ, with a real SMTP server and a
/// real webhook receiver, and a bus to publish what the other services would. It runs in a schema
/// (and so on queues) of its own, so no other Notification process competes for its messages.
/// </summary>
public sealed class NotificationService : IAsyncLifetime
{
    public const int MaxAttempts = 8;
    public const string UnitId = "u-nt-investigations";
    public const string UnitName = "Test Investigations Unit";
    public const string SatisfactionUnitId = "u-nt-satisfaction";

    /// <summary>The key ServiceProcess starts every service with, so our sealed contacts open inside the process.</summary>
    public static readonly ContactProtector Contacts = new(new PrivacyOptions
    {
        ActiveKeyId = "test-key-1",
        Keys = { ["test-key-1"] = "dGVzdC1jb250YWN0LWtleS0zMi1ieXRlcy1sb25nISE=" },
    });

    public string Schema { get; } = $"notification_t{Guid.NewGuid():N}"[..30];

    public ServiceProcess Process { get; private set; } = null!;

    /// <summary>Every span the process finishes, one JSON line each: the privacy test searches it.</summary>
    public string SpanFile { get; } = Path.Combine(Path.GetTempPath(), $"notification-spans-{Guid.NewGuid():N}.jsonl");

    public SmtpTestServer Smtp { get; private set; } = null!;

    public WebhookReceiver Webhooks { get; private set; } = null!;

    private IBusControl bus = null!;

    /// <summary>Settings of this instance's process beyond the suite's own, for a test that starts a service of its own.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    public Dictionary<string, string> Settings(string? templatesPath = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["Notification__Schema"] = Schema,
            ["RabbitMq__Uri"] = VirtualHost.AmqpUri,
            ["Telemetry__SpanFile"] = SpanFile,
            ["Notification__Smtp__Host"] = "127.0.0.1",
            // A console under a path, so that links to its other pages are seen to keep it.
            ["Notification__StaffCaseUrl"] = "https://console.nt.example/pd/cases/{caseId}",
            ["Notification__Smtp__Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notification__Smtp__Timeout"] = "00:00:05",
            // This in-process server speaks plain SMTP on loopback; SecureSmtpTests use a real one with STARTTLS and AUTH.
            ["Notification__Smtp__Security"] = "None",
            ["Notification__Webhooks__SigningSecret"] = WebhookReceiver.Secret,
            ["Notification__Webhooks__Timeout"] = "00:00:05",
            // The test's receiver listens on loopback, which webhooks may not reach unless allowed.
            ["Notification__Webhooks__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Notification__Delivery__MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notification__Delivery__InitialBackoff"] = "00:00:00.200",
            ["Notification__Delivery__MaxBackoff"] = "00:00:02",
            ["Notification__Delivery__PollInterval"] = "00:00:00.200",
            ["Notification__PublicBaseUrl"] = "http://127.0.0.1:5104",
            // Verbose on purpose: the privacy test searches these logs for a complainant's address.
            ["Logging__LogLevel__Default"] = "Debug",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug",
            ["Logging__LogLevel__MassTransit"] = "Debug",
        };
        if (templatesPath is not null)
            settings["Notification__TemplatesPath"] = templatesPath;
        foreach (var (key, value) in Extra)
            settings[key] = value;
        return settings;
    }

    /// <summary>This suite publishes a made-up directory; its own virtual host keeps that from every other service.</summary>
    public IsolatedVirtualHost VirtualHost { get; private set; } = null!;

    /// <summary>Runs on the new virtual host before the service starts: what a broker that ran an older version holds.</summary>
    public Func<IsolatedVirtualHost, Task>? BeforeStart { get; init; }

    /// <summary>A receive queue's name (and its exchange's): the schema, in kebab case, is the prefix.</summary>
    public string QueueName(string endpoint) => BrokerNames.Queue(Schema, endpoint);

    public async Task InitializeAsync()
    {
        VirtualHost = await IsolatedVirtualHost.CreateAsync("notification-tests");
        if (BeforeStart is not null)
            await BeforeStart(VirtualHost);
        Smtp = await SmtpTestServer.StartAsync();
        Webhooks = WebhookReceiver.Start();
        Process = await ServiceProcess.StartAsync("Notification", Settings());
        var (host, port, virtualHost, user, password) = new RabbitMqOptions { Uri = VirtualHost.AmqpUri }.Parse();
        bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(host, port, virtualHost, h =>
            {
                h.Username(user);
                h.Password(password);
            });
            // Custody moves go where assignment's go: the topic exchange, keyed by kind.
            rabbit.PublishCustodyTransfersByKind();
            rabbit.PublishCaseEventsByKind();
        });
        await bus.StartAsync();

        await PublishDirectoryAsync(directory => directory);
    }

    /// <summary>Publishes the test directory, as <paramref name="change"/> makes it, as a newer version, and waits until it is in force.</summary>
    public async Task PublishDirectoryAsync(Func<OrgDirectory, OrgDirectory> change)
    {
        var version = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), (await ScalarAsync<long?>("select version from directory_copy") ?? 0) + 1);
        await PublishAsync(new DirectoryPublished
        {
            Version = version,
            Directory = change(Directory()),
            PublishedAt = DateTimeOffset.UtcNow,
            Actor = "system:test",
            Reason = "Notification tests",
        });
        await Eventually.HoldsAsync(async () =>
            await ScalarAsync<long?>("select version from directory_copy") == version, "the test directory is in force");
    }

    public async Task DisposeAsync()
    {
        await bus.StopAsync();
        await Process.DisposeAsync();
        await Smtp.DisposeAsync();
        await Webhooks.DisposeAsync();
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync($"drop schema if exists \"{Schema}\" cascade");
        await VirtualHost.DisposeAsync(); // its queues and exchanges go with it
    }

    /// <summary>
    /// A small department of its own: a supervisor over two investigators, people reached only by
    /// webhook (one of whose receivers fails on demand), and a supervisor whose addresses are broken.
    /// </summary>
    private OrgDirectory Directory() => new()
    {
        Department = "Notification test department",
        IntakeDeskUnitId = "u-nt-desk",
        Units =
        [
            new OrgUnit { Id = "u-nt-desk", Name = "Test Intake Desk", Kind = "intake", CommanderId = "nt-chief" },
            new OrgUnit { Id = UnitId, Name = UnitName, Kind = "internal-affairs", CommanderId = "nt-super" },
            new OrgUnit { Id = SatisfactionUnitId, Name = "Test Satisfaction Unit", Kind = "professional-standards", CommanderId = "nt-chief" },
        ],
        People =
        [
            Person("nt-chief", "Chief Tester", "u-nt-desk", "commander", null, email: "chief@nt.example"),
            Person("nt-super", "Sam Supervisor", UnitId, "supervisor", "nt-chief", email: "super@nt.example"),
            Person("nt-owner", "Olive Owner", UnitId, "investigator", "nt-super", email: "owner@nt.example"),
            Person("nt-hooked", "Hugo Hooked", UnitId, "investigator", "nt-super", webhook: Webhooks.UrlFor("nt-hooked")),
            Person("nt-flaky", "Fran Flaky", UnitId, "investigator", "nt-super", webhook: Webhooks.UrlFor("nt-flaky")),
            Person("nt-broken", "Bea Broken", UnitId, "supervisor", "nt-chief", email: "bea at nowhere", webhook: "not a url"),
            Person("nt-lonely", "Lee Lonely", UnitId, "investigator", "nt-broken", email: "lonely@nt.example"),
            // Two who state a channel preference: one with both addresses, one with an e-mail address only.
            Person("nt-choosy", "Cory Choosy", UnitId, "investigator", "nt-super", email: "choosy@nt.example", webhook: Webhooks.UrlFor("nt-choosy")),
            Person("nt-wishful", "Wyn Wishful", UnitId, "investigator", "nt-super", email: "wishful@nt.example"),
            // A directory editor aimed this supervisor's webhook at the cloud metadata address.
            Person("nt-inward", "Ira Inward", UnitId, "supervisor", "nt-chief", email: "inward@nt.example", webhook: "http://169.254.169.254/latest/meta-data/"),
            Person("nt-reporting", "Rae Reporting", UnitId, "investigator", "nt-inward", email: "reporting@nt.example"),
            Person("nt-satisfier", "Sid Satisfier", SatisfactionUnitId, "investigator", "nt-chief", email: "satisfier@nt.example"),
            Person("nt-admin", "Ada Admin", "u-nt-desk", "admin", "nt-chief"),
            Person("nt-dispatcher", "Dee Dispatcher", "u-nt-desk", "dispatcher", "nt-chief", email: "dispatch@nt.example"),
        ],
        RoutingRules = [new RoutingRule { Category = "*", District = "*", UnitId = UnitId }],
    };

    private static OrgPerson Person(string id, string name, string unit, string role, string? supervisor, string? email = null, string? webhook = null) => new()
    {
        Id = id,
        Name = name,
        Badge = id,
        UnitId = unit,
        Roles = [role],
        SupervisorId = supervisor,
        Email = email,
        WebhookUrl = webhook,
    };

    /// <summary>
    /// Case versions for the events these tests publish: far above what the assignment service of a
    /// concurrent test run assigns to the same case (it routes our complaints too), so ours never
    /// share an idempotency key with its.
    /// </summary>
    public static long Version(int n) => 1_000_000 + n;

    public Task PublishAsync<T>(T message, Guid? messageId = null) where T : class =>
        bus.Publish(message, context =>
        {
            if (messageId is { } id)
                context.MessageId = id;
        });

    /// <summary>A complaint as intake would publish it; the contact sealed with the process's key.</summary>
    public static ComplaintReceived Complaint(string? email, string? name = "Dana Whitfield")
    {
        var caseId = Guid.NewGuid();
        SealedContact? contact = null;
        if (email is not null)
        {
            var sealedValue = Contacts.Seal(new ComplainantContact { Name = name, Email = email, Phone = "+1 555 0100" });
            contact = new SealedContact { KeyId = sealedValue.KeyId, Ciphertext = sealedValue.Ciphertext };
        }
        return new ComplaintReceived
        {
            CaseId = caseId,
            CaseVersion = 1,
            TrackingCode = $"RPD-{Guid.NewGuid():N}"[..16].ToUpperInvariant(),
            Category = "force",
            Channel = "web",
            District = "2",
            SubjectOfficerBadges = ["614"],
            Allegations = [new ReceivedAllegation { AllegationId = Guid.NewGuid(), Type = "force", OfficerBadge = "614" }],
            Anonymous = email is null,
            Complainant = contact,
            IntakeDeskUnitId = "u-nt-desk",
            ReceivedAt = DateTimeOffset.UtcNow,
            Actor = "system:public-web",
            Reason = "",
        };
    }

    /// <summary>Routing's decision for a case, as assignment publishes it: to the test unit, owned by nt-owner, at version 4.</summary>
    public static CaseRouted RoutedToOwner(Guid caseId) => new()
    {
        CaseId = caseId, CaseVersion = Version(4), Actor = "system:router", Reason = "force → internal affairs",
        OccurredAt = DateTimeOffset.UtcNow, UnitId = UnitId, ToOwnerKind = "person", ToOwnerId = "nt-owner",
    };

    public static string NewEmail(string label) => $"{label}-{Guid.NewGuid():N}@complainant.example";

    public async Task<T?> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await TestDatabase.OpenAsync(Schema);
        return await connection.ExecuteScalarAsync<T>(sql, parameters);
    }

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await TestDatabase.OpenAsync(Schema);
        return [.. await connection.QueryAsync<T>(sql, parameters)];
    }

    /// <summary>Waits until the process's inbox shows the message as processed.</summary>
    public Task WaitProcessedAsync(Guid messageId) =>
        Eventually.HoldsAsync(async () => await ScalarAsync<bool>("select exists (select 1 from inbox where message_id = @messageId)", new { messageId }),
            $"message {messageId} is processed");

    public async Task<JsonElement> NotificationsAsync(Guid caseId)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/api/notifications?caseId={caseId}", TestTokens.For("nt-admin", Roles.Admin));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>
    /// Files a new case and hands it to the test unit (a handoff from the desk); returns the person told of it, whom the
    /// directory in force names as the unit's commander.
    /// </summary>
    public async Task<string?> HandANewCaseToTheUnitAsync()
    {
        var complaint = Complaint(NewEmail("to-unit"));
        await PublishAsync(complaint);
        await PublishAsync(new CustodyTransferred
        {
            CaseId = complaint.CaseId, CaseVersion = Version(2), Actor = "nt-dispatcher", Reason = "Sent on",
            OccurredAt = DateTimeOffset.UtcNow, FromOwnerKind = "unit", FromOwnerId = "u-nt-desk", ToOwnerKind = "unit", ToOwnerId = UnitId,
            TransferKind = TransferKinds.Handoff,
        });
        var announced = await WaitForNotificationAsync(complaint.CaseId, "assignment", _ => true, "the unit's commander hears of the case");
        return announced.GetProperty("recipientPersonId").GetString();
    }

    /// <summary>Waits until the case has a notification (template, channel, recipient) that satisfies <paramref name="accept"/>.</summary>
    public Task<JsonElement> WaitForNotificationAsync(Guid caseId, string template, Func<JsonElement, bool> accept, string description) =>
        Eventually.ReturnsAsync(async () =>
            (await NotificationsAsync(caseId)).EnumerateArray().FirstOrDefault(n => n.GetProperty("template").GetString() == template && accept(n)),
            n => n.ValueKind == JsonValueKind.Object, description);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token = null, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        return await Process.Client.SendAsync(request);
    }
}

[CollectionDefinition(nameof(NotificationService))]
public sealed class NotificationServiceCollection : ICollectionFixture<NotificationService>;
