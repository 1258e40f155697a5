using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Accountability.Messaging.Bus;

/// <summary>How every host reaches RabbitMQ: the services' buses and the console's live feed alike.</summary>
public static class BrokerConnection
{
    /// <summary>The broker from RabbitMq:Uri (any of RabbitMq:ClusterNodes when set), endpoints from the registrations (quorum queues with RabbitMq:QuorumQueues), and the receive endpoints in readiness.</summary>
    public static void UseAccountabilityBroker(this IBusRegistrationConfigurator bus)
    {
        bus.ConfigureHealthCheckOptions(health =>
        {
            health.Name = "receive-endpoints";
            health.MinimalFailureStatus = HealthStatus.Unhealthy;
            health.Tags.Add("ready");
        });
        bus.ApplyToDurableEndpoints();
        bus.UsingRabbitMq((context, rabbit) =>
        {
            var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
            var (host, port, virtualHost, user, password) = options.Parse();
            var nodes = options.Nodes();
            rabbit.Host(nodes[0].Host, nodes[0].Port, virtualHost, h =>
            {
                h.Username(user);
                h.Password(password);
                h.RequestedConnectionTimeout(TimeSpan.FromSeconds(10));
                h.Heartbeat((ushort)options.HeartbeatSeconds);
                // MassTransit cycles through the nodes: a connection that drops is made again to the next node
                // that answers (the receive endpoints and the publish side, so the outbox relay, alike).
                if (!string.IsNullOrWhiteSpace(options.ClusterNodes))
                    h.UseCluster(cluster =>
                    {
                        foreach (var node in nodes)
                            cluster.Node(FormatNode(node.Host, node.Port));
                    });
            });
            if (options.QuorumQueues)
                rabbit.ConfigureErrorAndSkippedQueues();
            rabbit.PublishCustodyTransfersByKind();
            rabbit.PublishCaseEventsByKind();
            rabbit.ConfigureEndpoints(context);
        });
    }

    private static string FormatNode(string host, ushort port) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>The RabbitMq settings, and the broker itself as a readiness check (a channel opened on <see cref="BrokerProbe"/>'s connection).</summary>
    public static IServiceCollection AddBrokerSettingsAndReadiness(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RabbitMqOptions>().Bind(configuration.GetSection(RabbitMqOptions.Section))
            .Validate(o => { o.Validate(); return true; })
            .ValidateOnStart();
        services.AddSingleton<BrokerProbe>();
        services.AddHealthChecks().AddRabbitMQ(sp => sp.GetRequiredService<BrokerProbe>().ConnectionAsync(),
            "broker", HealthStatus.Unhealthy, ["ready"], TimeSpan.FromSeconds(5));
        return services;
    }
}
