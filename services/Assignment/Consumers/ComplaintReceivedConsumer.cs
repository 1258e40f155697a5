using Accountability.Assignment.Features.Custody;
using Accountability.Assignment.Features.Routing;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Telemetry;
using Accountability.Messaging;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Accountability.Assignment.Consumers;

/// <summary>
/// A new complaint: open the case (owned by the intake desk from the instant it was received) and route it, in one
/// transaction with the inbox row, together with the other complaints that arrived meanwhile (<see cref="RoutingBatcher"/>).
/// A redelivery, or a second ComplaintReceived for the same case, changes nothing.
/// </summary>
public sealed class ComplaintReceivedConsumer(RoutingBatcher routing, ILogger<ComplaintReceivedConsumer> logger)
    : IConsumer<ComplaintReceived>
{
    public async Task Consume(ConsumeContext<ComplaintReceived> context)
    {
        var complaint = context.Message;
        System.Diagnostics.Activity.Current.TagCase(complaint.CaseId, "route", "unit", complaint.IntakeDeskUnitId);
        if (await routing.RouteAsync(complaint, context.RequireMessageId(), context.CancellationToken) is not { } outcome)
            return; // routed before: the inbox had this message

        var (decisions, choice) = (outcome.Decisions, outcome.Choice);
        if (decisions[0] is Decision.Refused refused)
            logger.LogInformation("Complaint {CaseId} not opened again: {Reason}", complaint.CaseId, refused.Refusal.Reason);
        else if (choice is null)
            // Even internal affairs is conflicted: the desk keeps it (still owned) and the gap monitor flags it for a person to route.
            logger.LogWarning("Complaint {CaseId} stays with the intake desk: everyone who could hold it is conflicted", complaint.CaseId);
        else if (decisions[1] is Decision.Refused routeRefused)
            // The intake desk keeps it: still owned, and the gap monitor will flag it for a person to route.
            logger.LogWarning("Complaint {CaseId} stays with the intake desk: routing refused ({Code}) {Reason}",
                complaint.CaseId, routeRefused.Refusal.Code, routeRefused.Refusal.Reason);
        else
            System.Diagnostics.Activity.Current.TagCase(complaint.CaseId, "routed", choice.PersonId is null ? "unit" : "person", choice.PersonId ?? choice.UnitId);
    }
}

/// <summary>Enough complaints in flight to fill a routing batch: they wait for the batch's commit, not for each other.</summary>
public sealed class ComplaintReceivedConsumerDefinition : RetryingConsumerDefinition<ComplaintReceivedConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ComplaintReceivedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        var messaging = context.GetRequiredService<IOptions<MessagingOptions>>().Value;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.PrefetchCount = Math.Max(messaging.PrefetchCount, RoutingBatcher.MaxBatch);
    }
}
