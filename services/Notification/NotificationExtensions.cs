using Accountability.Messaging;
using Accountability.Messaging.Operations;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Notification;

/// <summary>The wiring of the notification service: what Program.cs lists, spelled out.</summary>
public static class NotificationExtensions
{
    public const string Schema = "notification";

    public static WebApplicationBuilder AddNotification(this WebApplicationBuilder builder)
    {
        builder.AddAccountabilityMessaging(Schema, typeof(NotificationExtensions).Assembly);
        return builder;
    }

    public static WebApplication MapNotificationEndpoints(this WebApplication app)
    {
        app.MapOutboxOperations(Roles.Admin);
        return app;
    }
}
