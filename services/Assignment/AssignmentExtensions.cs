using Accountability.Assignment.Consumers;
using MassTransit;
using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Access;
using Accountability.Assignment.Features.Cases;
using Accountability.Assignment.Features.Directory;
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
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DirectoryCache>();
        builder.Services.AddSingleton<DirectoryStore>();
        builder.Services.AddSingleton<CaseStore>();
        builder.Services.AddSingleton<Features.Routing.ComplaintRouter>();
        builder.Services.AddSingleton<CaseQueries>();
        builder.Services.AddSingleton<CaseReaders>();
        builder.Services.AddSingleton<CaseCommands>();
        builder.Services.AddOptions<Features.Custody.CustodyEventsOptions>().BindConfiguration(Features.Custody.CustodyEventsOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<Features.Access.AccessOptions>().BindConfiguration(Features.Access.AccessOptions.Section);
        builder.Services.AddOptions<Features.Routing.RoutingOptions>().BindConfiguration(Features.Routing.RoutingOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<Features.Routing.RoutingOptions>, Features.Routing.RoutingOptions.Validator>();
        builder.AddAccountabilityMessaging(Schema, typeof(AssignmentExtensions).Assembly, bus =>
        {
            bus.AddConsumer<ComplaintReceivedConsumer, ComplaintReceivedConsumerDefinition>();
            bus.AddConsumer<EscalateCaseConsumer, EscalateCaseConsumerDefinition>();
            bus.AddConsumer<SlaBreachedConsumer, SlaBreachedConsumerDefinition>();
        });
        // After messaging, so the schema is migrated before the directory is read or seeded.
        builder.Services.AddHostedService<DirectoryHostedService>();
        return builder;
    }

    public static WebApplication MapAssignmentEndpoints(this WebApplication app)
    {
        app.MapCaseEndpoints();
        app.MapDirectoryEndpoints();
        app.MapOutboxOperations(Roles.Admin);
        return app;
    }
}
