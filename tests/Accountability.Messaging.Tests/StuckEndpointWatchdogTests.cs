using Accountability.TestSupport;
using RabbitMQ.Client;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>
/// The watchdog against the real broker: a receive endpoint that cannot start while the broker answers makes the
/// process exit with status 1, so its supervisor starts a fresh one, instead of leaving a process that looks alive
/// and consumes nothing (found by `make chaos CLUSTER=1`).
/// </summary>
public sealed class StuckEndpointWatchdogTests
{
    [Fact]
    public async Task A_service_whose_receive_endpoint_never_starts_while_the_broker_answers_exits_with_status_1()
    {
        await using var vhost = await IsolatedVirtualHost.CreateAsync("stuck");
        var schema = TestDatabase.NewSchema("msg");
        // The consumer's queue already exists with an argument the endpoint does not declare: the broker refuses the
        // endpoint's declaration (PRECONDITION_FAILED) every time it is tried, while answering everything else.
        var factory = new ConnectionFactory { Uri = new Uri(vhost.AmqpUri) };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
            await channel.QueueDeclareAsync(BrokerNames.Queue(schema, "work-item"), durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-max-length"] = 1 });

        try
        {
            await using var host = await MessagingTestHost.StartAsync(schema: schema, rabbitMqUri: vhost.AmqpUri, waitUntilStarted: false,
                settings: new Dictionary<string, string?> { ["Messaging:StuckEndpointExitAfter"] = "00:00:02" });

            // Never having run, it is given twice the allowance (4 s), looked at every 5 s.
            await Eventually.HoldsAsync(() => host.Stopping.IsCancellationRequested,
                "the watchdog stops the service", TimeSpan.FromSeconds(60));
            Assert.Equal(1, Environment.ExitCode);
        }
        finally
        {
            // The status is the process's: this test process must still end well.
            Environment.ExitCode = 0;
        }
    }
}
