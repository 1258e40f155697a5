using Accountability.Messaging;
using Accountability.Messaging.Operations;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Intake;

/// <summary>The wiring of the intake service: what Program.cs lists, spelled out.</summary>
public static class IntakeExtensions
{
    public const string Schema = "intake";

    public static WebApplicationBuilder AddIntake(this WebApplicationBuilder builder)
    {
        builder.AddAccountabilityMessaging(Schema, typeof(IntakeExtensions).Assembly);
        return builder;
    }

    public static WebApplication MapIntakeEndpoints(this WebApplication app)
    {
        app.MapOutboxOperations(Roles.Admin);
        return app;
    }
}
