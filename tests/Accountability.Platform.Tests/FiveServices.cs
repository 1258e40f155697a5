using Accountability.TestSupport;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>All five services as real processes, started once for the platform tests.</summary>
public sealed class FiveServices : IAsyncLifetime
{
    public static readonly string[] Names = ["Intake", "Assignment", "Escalation", "Notification", "Audit"];

    public IReadOnlyList<ServiceProcess> All { get; private set; } = [];

    /// <summary>Each service writes its finished spans here (Telemetry:SpanFile), one JSON line per span.</summary>
    public string SpanFolder { get; } = Directory.CreateTempSubdirectory("accountability-spans-").FullName;

    public ServiceProcess this[string name] => All.Single(s => s.Name == name);

    /// <summary>The services reach the broker through this link, so a test can cut it without stopping the broker for other assemblies.</summary>
    public BrokerLink Broker { get; } = BrokerLink.Start();

    public async Task InitializeAsync() =>
        All = await Task.WhenAll(Names.Select(name => ServiceProcess.StartAsync(name, new Dictionary<string, string>
        {
            ["Telemetry__SpanFile"] = Path.Combine(SpanFolder, $"{name}.jsonl"),
            ["RabbitMq__Uri"] = Broker.AmqpUri,
        })));

    public async Task DisposeAsync()
    {
        foreach (var service in All)
            await service.DisposeAsync();
        await Broker.DisposeAsync();
        Directory.Delete(SpanFolder, recursive: true);
    }
}

[CollectionDefinition(nameof(FiveServices))]
public sealed class FiveServicesCollection : ICollectionFixture<FiveServices>;
