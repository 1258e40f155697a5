using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Directory;
using Accountability.Contracts.Escalation;
using Accountability.Contracts.Intake;
using Accountability.Escalation.Tests.Escalations;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Dapper;
using MassTransit;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// Escalation instances with a manual clock, on a RabbitMQ virtual host and a PostgreSQL schema of
/// their own, so that moving their clock days ahead can never touch another test's cases. The test
/// plays the neighbours: it publishes the case events assignment would, and collects what
/// escalation says (SlaWarning, SlaBreached, EscalationRaised, EscalateCase, statutory events). Clock reads ask a
/// real assignment process who may see a case (<see cref="Assignment"/>), which the test hands each case's receipt.
/// </summary>
public sealed class IsolatedEscalation : IAsyncDisposable
{
    public static readonly DateTimeOffset DefaultStart = new(2026, 3, 3, 15, 0, 0, TimeSpan.Zero); // Tuesday 09:00 in Chicago

    private readonly List<ServiceProcess> instances = [];
    private readonly IsolatedVirtualHost vhost;
    private IBusControl bus = null!;

    private IsolatedEscalation(IsolatedVirtualHost vhost, string schema, AssignmentNeighbour assignment)
    {
        this.vhost = vhost;
        Schema = schema;
        Assignment = assignment;
    }

    public string Schema { get; }

    /// <summary>The virtual host of these instances, for a test that plays an older version's bindings.</summary>
    public IsolatedVirtualHost Broker => vhost;

    /// <summary>An endpoint's queue (and exchange) name.</summary>
    public string QueueName(string endpoint) => BrokerNames.Queue(Schema, endpoint);

    /// <summary>The assignment service these instances ask who may see a case.</summary>
    public AssignmentNeighbour Assignment { get; }

    public IReadOnlyList<ServiceProcess> Instances => instances;

    public ServiceProcess Process => instances[0];

    public ConcurrentQueue<object> Received { get; } = new();

    public static async Task<IsolatedEscalation> CreateAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var host = new IsolatedEscalation(await IsolatedVirtualHost.CreateAsync("escalation-test"), $"esc_{id}", await AssignmentNeighbour.StartAsync());
        await host.StartBusAsync();
        return host;
    }

    /// <summary>Starts one more instance on this schema and virtual host, its manual clock at <paramref name="clockStart"/>.</summary>
    public async Task<ServiceProcess> StartInstanceAsync(DateTimeOffset? clockStart = null, IDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["RabbitMq__Uri"] = vhost.AmqpUri,
            ["Escalation__Schema"] = Schema,
            ["Escalation__Clock"] = "manual",
            ["Escalation__ClockStart"] = (clockStart ?? DefaultStart).ToString("O"),
            ["Escalation__GapMonitorEnabled"] = "false",
            ["Escalation__AssignmentUrl"] = Assignment.Url,
            ["Escalation__TimerPollInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            settings[key] = value;
        var instance = await ServiceProcess.StartAsync("Escalation", settings);
        instances.Add(instance);
        return instance;
    }

    public async Task StopInstanceAsync(ServiceProcess instance)
    {
        instances.Remove(instance);
        await instance.DisposeAsync();
    }

    /// <summary>The sample department, published as assignment publishes it.</summary>
    public Task PublishDirectoryAsync() => PublishAsync(new DirectoryPublished
    {
        Version = 1,
        Directory = ChainOfCommandTests.SampleDirectory(),
        PublishedAt = DefaultStart,
        Actor = "system:directory-seed",
        Reason = "Seeded for the test",
    });

    public Task PublishAsync<T>(T message) where T : class => bus.Publish(message);

    /// <summary>Publishes under a chosen message id: an event as an older assignment published it alone.</summary>
    public Task PublishAsync(object message, Guid messageId) => bus.Publish(message, message.GetType(), context => context.MessageId = messageId);

    /// <summary>Publishes with a known message id, so a test can wait until the inbox has taken it.</summary>
    public async Task<Guid> PublishTrackedAsync<T>(T message) where T : class
    {
        var messageId = Guid.NewGuid();
        await bus.Publish(message, context => context.MessageId = messageId);
        return messageId;
    }

    public Task WaitUntilConsumedAsync(params Guid[] messageIds) =>
        // The clock consumers' rows only: the early-warning evaluator claims complaints and amendments under streams of its own.
        Eventually.HoldsAsync(async () => await CountAsync(
            "select count(*) from inbox where message_id = any(@messageIds) and consumer not like 'EarlyWarningConsumer.%'", new { messageIds }) == messageIds.Length,
            $"escalation consumed {messageIds.Length} messages");

    /// <summary>Waits until no timer of the case is due and unhandled: the poller has caught up with the clock.</summary>
    public async Task WaitUntilTimersCaughtUpAsync(Guid caseId)
    {
        var now = await NowAsync();
        await Eventually.HoldsAsync(async () => await CountAsync(
            "select count(*) from timers where case_id = @caseId and state = 'pending' and fire_at <= @now", new { caseId, now = now.ToUniversalTime() }) == 0,
            $"every due timer of case {caseId} handled");
    }

    public static string AdminToken => TestTokens.For("p-1005", Roles.Admin);

    public async Task<DateTimeOffset> NowAsync(ServiceProcess? instance = null)
    {
        using var response = await SendAsync(instance ?? Process, HttpMethod.Get, "/api/test-clock", AdminToken);
        return (await ReadAsync(response)).GetProperty("now").GetDateTimeOffset();
    }

    /// <summary>Moves the manual clock of every running instance forward by the same amount.</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        foreach (var instance in instances.ToList())
        {
            using var response = await SendAsync(instance, HttpMethod.Post, "/api/test-clock/advance", AdminToken, new { by = System.Xml.XmlConvert.ToString(by) });
            await ReadAsync(response);
        }
    }

    public async Task AdvanceToAsync(DateTimeOffset instant)
    {
        var now = await NowAsync();
        if (instant > now)
            await AdvanceAsync(instant - now);
    }

    public IEnumerable<T> ReceivedFor<T>(Guid caseId) where T : class =>
        Received.OfType<T>().Where(m => CaseIdOf(m) == caseId);

    public Task<T> WaitForAsync<T>(Guid caseId, Func<T, bool> accept, string description) where T : class =>
        Eventually.ReturnsAsync(() => Task.FromResult(ReceivedFor<T>(caseId).FirstOrDefault(accept)), m => m is not null, description)!;

    public async Task<JsonElement> ClocksAsync(Guid caseId)
    {
        using var response = await SendAsync(Process, HttpMethod.Get, $"/api/cases/{caseId}/clocks", TestTokens.For("p-1009", Roles.Dispatcher));
        return await ReadAsync(response);
    }

    /// <summary>Waits until a clock is in a state (running, paused, stopped, breached) and returns it.</summary>
    public Task<JsonElement> WaitForClockAsync(Guid caseId, string clock, Func<JsonElement, bool> accept, string description) =>
        Eventually.ReturnsAsync(async () =>
        {
            using var response = await SendAsync(Process, HttpMethod.Get, $"/api/cases/{caseId}/clocks", TestTokens.For("p-1009", Roles.Dispatcher));
            if (!response.IsSuccessStatusCode)
                return default;
            var clocks = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return clocks.EnumerateArray().FirstOrDefault(c => c.GetProperty("clock").GetString() == clock);
        }, c => c.ValueKind == JsonValueKind.Object && accept(c), description);

    public static async Task<HttpResponseMessage> SendAsync(ServiceProcess instance, HttpMethod method, string path, string token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
            request.Content = JsonContent.Create(body);
        return await instance.Client.SendAsync(request);
    }

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Counts rows in this instance's schema, e.g. outbox rows of one message type for one case.</summary>
    public async Task<long> CountAsync(string sql, object parameters)
    {
        await using var connection = await TestDatabase.OpenAsync(Schema);
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    /// <summary>How many messages wait in one of this host's queues (an error queue, say).</summary>
    public Task<uint> QueueDepthAsync(string queue) => vhost.QueueDepthAsync(queue);

    public async Task<long> OutboxCountAsync<T>(Guid caseId, string? clock = null, int? percent = null) => await CountAsync(
        """
        select count(*) from outbox where message_type like @type and body->>'caseId' = @caseId
          and (@clock::text is null or body->>'clock' = @clock) and (@percent::int is null or (body->>'percent')::int = @percent)
        """, new { type = $"{typeof(T).FullName},%", caseId = caseId.ToString(), clock, percent });

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in instances)
            await instance.DisposeAsync();
        await bus.StopAsync();
        await vhost.DisposeAsync();
        await Assignment.DisposeAsync();
        await using var connection = await TestDatabase.OpenAsync();
        await connection.ExecuteAsync($"drop schema if exists \"{Schema}\" cascade");
    }

    private static Guid CaseIdOf(object message) => message switch
    {
        SlaWarning m => m.CaseId,
        SlaBreached m => m.CaseId,
        EscalationRaised m => m.CaseId,
        EscalateCase m => m.CaseId,
        StatutoryClockPaused m => m.CaseId,
        StatutoryClockResumed m => m.CaseId,
        _ => Guid.Empty,
    };

    private async Task StartBusAsync()
    {
        var (host, port, _, user, password) = new RabbitMqOptions { Uri = TestEnvironment.RabbitMqUri }.Parse();
        bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(host, port, vhost.Name, h =>
            {
                h.Username(user);
                h.Password(password);
            });
            // Custody moves go where assignment's go: the topic exchange, keyed by kind.
            cfg.PublishCustodyTransfersByKind();
            cfg.PublishCaseEventsByKind();
            cfg.ReceiveEndpoint("escalation-test-observer", endpoint =>
            {
                endpoint.Handler<SlaWarning>(context => Collect(context.Message));
                endpoint.Handler<SlaBreached>(context => Collect(context.Message));
                endpoint.Handler<EscalationRaised>(context => Collect(context.Message));
                endpoint.Handler<EscalateCase>(context => Collect(context.Message));
                endpoint.Handler<StatutoryClockPaused>(context => Collect(context.Message));
                endpoint.Handler<StatutoryClockResumed>(context => Collect(context.Message));
                endpoint.Handler<Contracts.EarlyWarning.EarlyWarningRaised>(context => Collect(context.Message));
                endpoint.Handler<Contracts.EarlyWarning.EarlyWarningAcknowledged>(context => Collect(context.Message));
            });
        });
        await bus.StartAsync();
    }

    private Task Collect(object message)
    {
        Received.Enqueue(message);
        return Task.CompletedTask;
    }
}

/// <summary>One case, told to escalation event by event as assignment would tell it, with assignment's version numbers.</summary>
public sealed class CaseScript(IsolatedEscalation host, Guid caseId, string category)
{
    public Guid CaseId { get; } = caseId;
    public long Version { get; private set; }
    public string OwnerKind { get; private set; } = "unit";
    public string OwnerId { get; private set; } = "u-intake-desk";
    public string Category { get; } = category;

    /// <summary>
    /// Received, opened, and routed to <paramref name="ownerId"/>, all at <paramref name="at"/>; assignment gets the receipt too,
    /// and the same owner, so that it answers who may see the case as it would for this history.
    /// </summary>
    /// <param name="apart">A pause between one event and the next, as the events of a trickle arrive; none by default.</param>
    public static async Task<CaseScript> RoutedAsync(IsolatedEscalation host, string category, string ownerId, DateTimeOffset at, bool anonymous = true,
        string[]? subjectBadges = null, TimeSpan apart = default)
    {
        var script = new CaseScript(host, Guid.NewGuid(), category);
        var received = new ComplaintReceived
        {
            CaseId = script.CaseId, CaseVersion = 1, TrackingCode = "RPD-TEST", Category = category, Channel = "phone",
            SubjectOfficerBadges = subjectBadges ?? [], Allegations = [], Anonymous = anonymous,
            Complainant = anonymous ? null : new SealedContact { KeyId = "test-key-1", Ciphertext = "AAAA" },
            IntakeDeskUnitId = "u-intake-desk", ReceivedAt = at, Actor = "p-1007", Reason = "",
        };
        await host.PublishAsync(received);
        await Task.Delay(apart);
        await host.PublishAsync(new CaseOpened
        {
            CaseId = script.CaseId, CaseVersion = script.Next(), Actor = "system:intake", Reason = "", OccurredAt = at,
            SubjectOfficerBadges = subjectBadges ?? [], Allegations = [], Category = category,
        });
        await Task.Delay(apart);
        await script.TransferAsync("received", "unit", "u-intake-desk", at);
        await Task.Delay(apart);
        await script.TransferAsync("routed", "person", ownerId, at);
        await host.Assignment.ReceiveAsync(received, ownerId);
        return script;
    }

    public long Next() => ++Version;

    public Task TransferAsync(string kind, string toKind, string toId, DateTimeOffset at, int? level = null, long? version = null) =>
        host.PublishAsync(Transfer(kind, toKind, toId, at, level, version));

    public CustodyTransferred Transfer(string kind, string toKind, string toId, DateTimeOffset at, int? level = null, long? version = null)
    {
        var message = new CustodyTransferred
        {
            CaseId = CaseId, CaseVersion = version ?? Next(), Actor = "system:test", Reason = $"{kind} in the test", OccurredAt = at,
            FromOwnerKind = OwnerKind, FromOwnerId = OwnerId, ToOwnerKind = toKind, ToOwnerId = toId, TransferKind = kind, EscalationLevel = level,
        };
        if (version is null || version >= Version)
            (OwnerKind, OwnerId) = (toKind, toId);
        Version = Math.Max(Version, message.CaseVersion);
        return message;
    }

    public Task AcknowledgeAsync(DateTimeOffset at) => host.PublishAsync(new CaseAcknowledged
    {
        CaseId = CaseId, CaseVersion = Next(), Actor = OwnerId, Reason = "", OccurredAt = at, OwnerKind = OwnerKind, OwnerId = OwnerId,
    });

    public async Task<Guid> RequestHandoffAsync(string toPersonId, DateTimeOffset at)
    {
        var handoffId = Guid.NewGuid();
        await host.PublishAsync(new HandoffRequested
        {
            CaseId = CaseId, CaseVersion = Next(), Actor = OwnerId, Reason = "Better placed", OccurredAt = at, HandoffId = handoffId,
            FromOwnerKind = OwnerKind, FromOwnerId = OwnerId, ToOwnerKind = "person", ToOwnerId = toPersonId,
        });
        return handoffId;
    }
}
