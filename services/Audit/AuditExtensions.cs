using Accountability.Audit.Consumers;
using Accountability.Audit.Data;
using Accountability.Audit.Features.Checkpoints;
using Accountability.Audit.Features.Export;
using Accountability.Audit.Features.Projections;
using Accountability.Audit.Features.Recording;
using Accountability.Audit.Features.AccessLog;
using Accountability.Audit.Features.Cases;
using Accountability.Audit.Features.Replay;
using Accountability.Audit.Features.Transparency;
using Accountability.Audit.Features.Verify;
using Accountability.Messaging;
using Accountability.Messaging.Operations;
using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.Security;
using MassTransit;

namespace Accountability.Audit;

/// <summary>The wiring of the audit service: what Program.cs lists, spelled out.</summary>
public static class AuditExtensions
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(AuditOptions.Section);
        var options = section.Get<AuditOptions>() ?? new AuditOptions();
        options.Validate();
        var mayGenerateKey = builder.Environment.IsDevelopment() || builder.Environment.IsEnvironment("Testing");
        if (string.IsNullOrWhiteSpace(options.SigningKey) && !mayGenerateKey)
            throw new InvalidOperationException(
                "Audit:SigningKey is not set. Outside Development and Testing the checkpoint signing key must be configured " +
                "(an ECDSA P-256 private key as PEM or base64 PKCS#8, with Audit:SigningKeyId).");

        var services = builder.Services;
        services.AddOptions<AuditOptions>().Bind(section);
        services.AddHttpClient(Features.Verify.VerifyEndpoints.WitnessClient, client => client.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton(TimeProvider.System);
        var connectionString = builder.Configuration.GetConnectionString(MessagingExtensions.ConnectionStringName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{MessagingExtensions.ConnectionStringName} is not set.");
        services.AddSingleton(_ => new AuditDatabase(connectionString, options.Schema));
        services.AddSingleton<TrailAppender>();
        services.AddSingleton<TrailBatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<TrailBatcher>());
        services.AddSingleton<SigningKeyRing>();
        services.AddSingleton<CheckpointSigner>();
        services.AddSingleton(TrailPrivileges.Narrowing);
        services.AddTransparencyRateLimit(options);

        builder.AddAccountabilityMessaging(options.Schema, typeof(AuditExtensions).Assembly, bus =>
        {
            if (!options.Consume)
                return;
            // One consumer per contract message, all on the one trail queue.
            foreach (var message in AuditedMessages.All)
                bus.AddConsumer(typeof(AuditConsumer<>).MakeGenericType(message.Type), typeof(AuditConsumerDefinition<>).MakeGenericType(message.Type));
            // And the envelopes, each of its notifications recorded as the message it stands for.
            bus.AddConsumer<NotificationsSentConsumer, NotificationsSentConsumerDefinition>();
            bus.AddConsumer<CaseEventsCommittedConsumer, CaseEventsCommittedConsumerDefinition>();
        });
        // After messaging, so migrations have run (it waits on their gate) before it touches the schema.
        services.AddHostedService(sp => sp.GetRequiredService<CheckpointSigner>());
        return builder;
    }

    public static WebApplication MapAuditEndpoints(this WebApplication app)
    {
        app.MapVerifyEndpoints();
        app.MapReplayEndpoints();
        app.MapCaseFinderEndpoints();
        app.MapAccessLogEndpoints();
        app.MapExportEndpoints();
        app.MapProjectionEndpoints();
        app.MapCheckpointEndpoints();
        app.UseClientRateLimits();
        app.MapTransparencyEndpoints();
        app.MapOutboxOperations(Roles.Admin);
        return app;
    }
}
