using System.Reflection;
using Accountability.Messaging.Bus;
using Accountability.Messaging.Database;
using Accountability.Messaging.Migrations;
using Accountability.Messaging.Relay;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Accountability.Messaging;

public static class MessagingExtensions
{
    public const string ConnectionStringName = "Accountability";

    /// <summary>The login that owns the schemas and runs migrations; optional (see <see cref="ServiceDatabase"/>).</summary>
    public const string OwnerConnectionStringName = "AccountabilityOwner";

    /// <summary>
    /// The database, its migrations, the bus, the outbox relay and the inbox of one service.
    /// Order matters: migrations are registered first so they finish before the bus starts consuming.
    /// </summary>
    public static IHostApplicationBuilder AddAccountabilityMessaging(
        this IHostApplicationBuilder builder,
        string schema,
        Assembly serviceAssembly,
        Action<IBusRegistrationConfigurator>? configureConsumers = null)
    {
        var services = builder.Services;
        services.AddOptions<MessagingOptions>()
            .Bind(builder.Configuration.GetSection(MessagingOptions.Section))
            .Validate(o => { o.Validate(); return true; })
            .ValidateOnStart();
        services.AddBrokerSettingsAndReadiness(builder.Configuration);

        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set (environment variable ConnectionStrings__{ConnectionStringName}).");
        var relayEnabled = builder.Configuration.GetSection(MessagingOptions.Section).GetValue(nameof(MessagingOptions.RelayEnabled), true);
        services.AddSingleton(new ServiceDatabase(connectionString, schema, builder.Configuration.GetConnectionString(OwnerConnectionStringName), relayEnabled));
        services.AddSingleton<Inbox.Inbox>();
        services.AddSingleton<Inbox.GroupedInbox>();
        services.AddSingleton<Identity.PeopleInForce>();
        services.AddSingleton<ServiceDefaults.Security.IPeopleInForce>(sp => sp.GetRequiredService<Identity.PeopleInForce>());
        services.AddHostedService<Identity.PeopleInForceLoader>();
        services.AddSingleton<ServiceDefaults.Security.ICaseAccessRecorder, AccessLog.OutboxCaseAccessRecorder>();
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton<MigrationGate>();
        services.AddSingleton<IReadOnlyList<Migration>>([.. Migration.Messaging(), .. Migration.FromAssembly(serviceAssembly, schema)]);
        services.AddHostedService<MigrationHostedService>();

        services.AddMassTransit(bus =>
        {
            // MassTransit 8.4+ reports usage to usage-tracking.masstransit.io by default: a police system
            // does not phone home, and offline it only logs a failure at every start.
            bus.DisableUsageTelemetry();
            // The prefix keeps two services' consumers of the same event on separate queues.
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(schema, includeNamespace: false));
            configureConsumers?.Invoke(bus);
            // Every service resolves who calls it from the directory in force.
            bus.AddConsumer<Identity.PeopleInForceConsumer, Identity.PeopleInForceConsumerDefinition>();
            bus.UseAccountabilityBroker();
        });
        if (relayEnabled)
            services.AddHostedService<OutboxRelay>();
        services.AddSingleton<PublishStall>();

        services.AddHostedService<StuckEndpointWatchdog>();
        services.AddHealthChecks()
            .AddNpgSql(sp => sp.GetRequiredService<ServiceDatabase>().DataSource,
                name: "database", failureStatus: HealthStatus.Unhealthy, tags: ["ready"], timeout: TimeSpan.FromSeconds(5))
            .Add(new HealthCheckRegistration("migrations",
                sp => new MigrationsHealthCheck(sp.GetRequiredService<MigrationGate>()), HealthStatus.Unhealthy, ["ready"]));
        return builder;
    }
}
