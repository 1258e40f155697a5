using Accountability.Messaging;
using Accountability.Messaging.Operations;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Escalation;

/// <summary>The wiring of the escalation service: what Program.cs lists, spelled out.</summary>
public static class EscalationExtensions
{
    public const string Schema = "escalation";

    public static WebApplicationBuilder AddEscalation(this WebApplicationBuilder builder)
    {
        builder.AddAccountabilityMessaging(Schema, typeof(EscalationExtensions).Assembly);
        return builder;
    }

    public static WebApplication MapEscalationEndpoints(this WebApplication app)
    {
        app.MapOutboxOperations(Roles.Admin);
        return app;
    }
}
