using Accountability.TestSupport;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>
/// The five services as real processes, in a database and a broker virtual host of their own: the
/// other test assemblies run at the same time, and their intake and assignment would otherwise share
/// the outbox and the queues with these, so a trace could pass through another assembly's process.
/// </summary>
public sealed class FiveServices : IAsyncLifetime
{
    public static readonly string[] Names = ["Intake", "Assignment", "Escalation", "Notification", "Audit"];

    private readonly string database = IsolatedDatabase.NewName("platform");
    private IsolatedVirtualHost? virtualHost;
    private Dictionary<string, string> common = [];

    /// <summary>The owner's connection string to this fixture's database: it runs the migrations.</summary>
    public string OwnerConnectionString { get; private set; } = "";

    public IReadOnlyList<ServiceProcess> All { get; private set; } = [];

    /// <summary>Each service writes its finished spans (Telemetry:SpanFile) and its metrics every second (Telemetry:MetricFile) here, as JSON lines.</summary>
    public string SpanFolder { get; } = Directory.CreateTempSubdirectory("accountability-spans-").FullName;

    public string SpanFileOf(string name) => Path.Combine(SpanFolder, $"{name}.jsonl");

    public string MetricFileOf(string name) => Path.Combine(SpanFolder, $"{name}.metrics.jsonl");

    /// <summary>The services reach the broker through this link, so a test can cut it without stopping the broker for other assemblies.</summary>
    public BrokerLink Broker { get; } = BrokerLink.Start();

    public ServiceProcess this[string name] => All.Single(s => s.Name == name);

    public async Task InitializeAsync()
    {
        // As deployed: the owner login runs each service's migrations, and each service works as its own login.
        await ServiceLogins.EnsureAsync(TestEnvironment.PostgresConnectionString);
        OwnerConnectionString = await IsolatedDatabase.CreateAsync(TestEnvironment.PostgresConnectionString, database);
        common = new Dictionary<string, string> { ["ConnectionStrings__AccountabilityOwner"] = OwnerConnectionString };
        virtualHost = await IsolatedVirtualHost.CreateAsync("platform");
        common["RabbitMq__Uri"] = Broker.Through(virtualHost.AmqpUri);

        // Assignment first: intake asks it who may read a complaint, and escalation's gap monitor reads it.
        var assignment = await StartAsync("Assignment");
        var intake = await StartAsync("Intake", ("Intake__AssignmentUrl", assignment.BaseAddress.ToString().TrimEnd('/')));
        var first = new[] { intake, assignment };
        var rest = await Task.WhenAll(
            StartAsync("Escalation", ("Escalation__AssignmentUrl", first[1].BaseAddress.ToString().TrimEnd('/'))),
            StartAsync("Notification"),
            StartAsync("Audit"));
        All = [.. first, .. rest];
        // Assignment announced the directory before the copy-keeping services had queues here: a second
        // instance's start announces it again.
        await using (await ServiceProcess.StartAsync("Assignment", SettingsOf("Assignment")))
        {
        }
    }

    private Task<ServiceProcess> StartAsync(string name, params (string Key, string Value)[] extra)
    {
        var settings = SettingsOf(name);
        settings["Telemetry__SpanFile"] = SpanFileOf(name);
        settings["Telemetry__MetricFile"] = MetricFileOf(name);
        foreach (var (key, value) in extra)
            settings[key] = value;
        return ServiceProcess.StartAsync(name, settings);
    }

    private Dictionary<string, string> SettingsOf(string name) =>
        new(common) { ["ConnectionStrings__Accountability"] = ServiceLogins.ConnectionStringFor(OwnerConnectionString, name) };

    public async Task DisposeAsync()
    {
        foreach (var service in All)
            await service.DisposeAsync();
        if (virtualHost is not null)
            await virtualHost.DisposeAsync();
        await Broker.DisposeAsync();
        await IsolatedDatabase.DropAsync(TestEnvironment.PostgresConnectionString, database);
        Directory.Delete(SpanFolder, recursive: true);
    }
}

[CollectionDefinition(nameof(FiveServices))]
public sealed class FiveServicesCollection : ICollectionFixture<FiveServices>;
