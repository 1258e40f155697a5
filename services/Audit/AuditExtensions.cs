using Accountability.Messaging;
using Accountability.Messaging.Operations;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Audit;

/// <summary>The wiring of the audit service: what Program.cs lists, spelled out.</summary>
public static class AuditExtensions
{
    public const string Schema = "audit";

    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.AddAccountabilityMessaging(Schema, typeof(AuditExtensions).Assembly);
        return builder;
    }

    public static WebApplication MapAuditEndpoints(this WebApplication app)
    {
        app.MapOutboxOperations(Roles.Admin);
        return app;
    }
}
