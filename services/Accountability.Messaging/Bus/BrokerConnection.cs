using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Accountability.Messaging.Bus;

/// <summary>How every host reaches RabbitMQ: the services' buses and the console's live feed alike.</summary>
public static class BrokerConnection
{
    /// <summary>The broker from RabbitMq:Uri, endpoints from the registrations (quorum queues with RabbitMq:QuorumQueues), and the receive endpoints in readiness.</summary>
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
            rabbit.Host(host, port, virtualHost, h =>
            {
                h.Username(user);
                h.Password(password);
                h.RequestedConnectionTimeout(TimeSpan.FromSeconds(10));
            });
            if (options.QuorumQueues)
                rabbit.ConfigureErrorAndSkippedQueues();
            rabbit.ConfigureEndpoints(context);
        });
    }

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
