using Accountability.Messaging;
using Accountability.Messaging.Operations;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Assignment;

/// <summary>The wiring of the assignment service: what Program.cs lists, spelled out.</summary>
public static class AssignmentExtensions
{
    public const string Schema = "assignment";

    public static WebApplicationBuilder AddAssignment(this WebApplicationBuilder builder)
    {
        builder.AddAccountabilityMessaging(Schema, typeof(AssignmentExtensions).Assembly);
        return builder;
    }

    public static WebApplication MapAssignmentEndpoints(this WebApplication app)
    {
        app.MapOutboxOperations(Roles.Admin);
        return app;
    }
}
