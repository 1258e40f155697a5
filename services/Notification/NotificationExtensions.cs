using Accountability.Notification.Features.TrailWitness;
using Accountability.Messaging;
using Accountability.Messaging.Operations;
using Accountability.Notification.Consumers;
using Accountability.Notification.Data;
using Accountability.Notification.Features.Delivery;
using Accountability.Notification.Features.Delivery.Email;
using Accountability.Notification.Features.Delivery.Webhooks;
using Accountability.Notification.Features.Notifications;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Preferences;
using Accountability.Notification.Features.Satisfaction;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Privacy;
using Accountability.ServiceDefaults.Security;
using MassTransit;

namespace Accountability.Notification;

/// <summary>The wiring of the notification service: what Program.cs lists, spelled out.</summary>
public static class NotificationExtensions
{
    public static WebApplicationBuilder AddNotification(this WebApplicationBuilder builder)
    {
        NotificationOptions.CheckRawValues(builder.Configuration);
        var settings = builder.Configuration.GetSection(NotificationOptions.Section).Get<NotificationOptions>() ?? new NotificationOptions();
        settings.Validate();
        builder.Services.AddOptions<NotificationOptions>()
            .Bind(builder.Configuration.GetSection(NotificationOptions.Section))
            .Validate(o => { o.Validate(); return true; })
            .ValidateOnStart();

        // Read and checked now: a broken template stops the start, naming the file and the placeholder.
        var templatesPath = Path.IsPathRooted(settings.TemplatesPath)
            ? settings.TemplatesPath
            : Path.Combine(AppContext.BaseDirectory, settings.TemplatesPath);
        builder.Services.AddSingleton(MessageTemplates.Load(templatesPath));

        // The only service that opens sealed complainant contacts, and only to send to them.
        builder.AddContactProtection();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DirectoryCopy>();
        builder.Services.AddSingleton<Notifier>();
        builder.Services.AddSingleton<NotifyingInbox>();
        builder.Services.AddSingleton<DeliveryWakeup>();
        builder.Services.AddSingleton<SmtpRelay>();
        builder.Services.AddSingleton<WebhookSender>();
        builder.Services.AddSingleton<DeliveryAttempt>();
        builder.Services.AddSingleton(new WebhookAddressPolicy([.. settings.Webhooks.AllowedNetworks.Select(System.Net.IPNetwork.Parse)]));
        builder.Services.AddHttpClient(WebhookSender.ClientName)
            // A receiver's redirect could point anywhere; a webhook goes where the directory says or nowhere,
            // and never inward (WebhookAddressPolicy, checked on the address connected to).
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectCallback = services.GetRequiredService<WebhookAddressPolicy>().ConnectAsync,
            });

        builder.Services.AddSingleton(Features.TrailWitness.WitnessPrivileges.Narrowing);
        builder.AddAccountabilityMessaging(settings.Schema, typeof(NotificationExtensions).Assembly, bus =>
        {
            bus.AddConsumer<DirectoryPublishedConsumer, DirectoryPublishedConsumerDefinition>();
            bus.AddConsumer<ComplaintReceivedConsumer, ComplaintReceivedConsumerDefinition>();
            bus.AddConsumer<CaseRoutedConsumer, CaseRoutedConsumerDefinition>();
            bus.AddConsumer<CustodyTransferredConsumer, CustodyTransferredConsumerDefinition>();
            bus.AddConsumer<HandoffRequestedConsumer, HandoffRequestedConsumerDefinition>();
            bus.AddConsumer<HandoffOutcomeConsumer, HandoffOutcomeConsumerDefinition>();
            bus.AddConsumer<ComplainantContactedConsumer, ComplainantContactedConsumerDefinition>();
            bus.AddConsumer<CaseResolvedConsumer, CaseResolvedConsumerDefinition>();
            bus.AddConsumer<CaseEventsConsumer, CaseEventsConsumerDefinition>();
            bus.AddConsumer<SlaWarningConsumer, SlaWarningConsumerDefinition>();
            bus.AddConsumer<SlaBreachedConsumer, SlaBreachedConsumerDefinition>();
            bus.AddConsumer<EscalationRaisedConsumer, EscalationRaisedConsumerDefinition>();
            bus.AddConsumer<EarlyWarningRaisedConsumer, EarlyWarningRaisedConsumerDefinition>();
            bus.AddConsumer<Features.TrailWitness.TrailCheckpointConsumer, Features.TrailWitness.TrailCheckpointConsumerDefinition>();
        });
        // After messaging, so it starts once the schema is migrated.
        builder.Services.AddHostedService<DeliveryDispatcher>();
        return builder;
    }

    public static WebApplication MapNotificationEndpoints(this WebApplication app)
    {
        app.MapOutboxOperations(Roles.Admin);
        app.MapNotifications();
        app.MapTrailWitness();
        app.MapPreferences();
        app.MapOptOut();
        app.MapSatisfaction();
        return app;
    }
}
