using System.Runtime.ExceptionServices;
using Accountability.Assignment.Features.Routing;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Accountability.Assignment.Consumers;

/// <summary>
/// A new complaint: open the case (owned by the intake desk from the instant it was received) and route it, in one
/// transaction with the inbox row, together with the other complaints that arrive meanwhile (<see cref="ComplaintRouter"/>).
/// A redelivery, or a second ComplaintReceived for the same case, changes nothing.
/// </summary>
public sealed class ComplaintReceivedConsumer(ComplaintRouter router, ILogger<ComplaintReceivedConsumer> logger)
    : IConsumer<ComplaintReceived>
{
    public async Task Consume(ConsumeContext<ComplaintReceived> context)
    {
        var complaint = context.Message;
        var activity = System.Diagnostics.Activity.Current;
        activity.TagCase(complaint.CaseId, "route", "unit", complaint.IntakeDeskUnitId);
        switch (await router.RouteAsync(new NewComplaint(context.RequireMessageId(), complaint, activity), context.CancellationToken))
        {
            case RoutingOutcome.Routed routed:
                activity.TagCase(complaint.CaseId, "routed", routed.Choice.PersonId is null ? "unit" : "person", routed.Choice.PersonId ?? routed.Choice.UnitId);
                break;
            case RoutingOutcome.KeptByIntakeDesk kept:
                // Still owned: the gap monitor flags it for a person to route.
                logger.LogWarning("Complaint {CaseId} stays with the intake desk: {Why}", complaint.CaseId, kept.Why);
                break;
            case RoutingOutcome.NotOpened notOpened:
                logger.LogInformation("Complaint {CaseId} not opened again: {Reason}", complaint.CaseId, notOpened.Refusal.Reason);
                break;
            case RoutingOutcome.Failed failed:
                // The consumer's retries, then the error queue, as for any consumer that throws.
                ExceptionDispatchInfo.Throw(failed.Exception);
                break;
        }
    }
}

public sealed class ComplaintReceivedConsumerDefinition : RetryingConsumerDefinition<ComplaintReceivedConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ComplaintReceivedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.PrefetchCount = context.GetRequiredService<IOptions<RoutingOptions>>().Value.PrefetchCount;
    }
}
