using Accountability.Contracts.Custody;
using Accountability.Intake.Features.PublicStatus;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Intake.Consumers;

/// <summary>
/// Keeps the public status view in step with custody: each event becomes one <see cref="CustodyUpdate"/>,
/// applied once through the inbox. The projection ignores versions older than the one it holds.
/// </summary>
public sealed class PublicStatusConsumer(Accountability.Messaging.Inbox.GroupedInbox inbox) :
    IConsumer<CaseRouted>, IConsumer<CustodyTransferred>, IConsumer<ComplainantContacted>, IConsumer<CaseResolved>, IConsumer<CaseReopened>,
    IConsumer<CaseEventsCommitted>
{
    /// <summary>Assignment's envelopes: each event this view shows, applied as if it came alone, under its own id, in order.</summary>
    public Task Consume(ConsumeContext<CaseEventsCommitted> context) => CaseEventsEnvelope.DispatchAsync(context, [this]);

    public Task Consume(ConsumeContext<CaseRouted> context) => ApplyAsync(context, new CustodyUpdate
    {
        CaseId = context.Message.CaseId,
        CaseVersion = context.Message.CaseVersion,
        OccurredAt = context.Message.OccurredAt,
        OwnerKind = context.Message.ToOwnerKind,
        OwnerId = context.Message.ToOwnerId,
        Status = PublicStatuses.Assigned,
        Milestone = Milestones.Routed,
    });

    /// <summary>
    /// Receipt and routing are in the view already: the filing stored the intake desk as owner, and routing always
    /// comes with a CaseRouted, one version earlier, that this consumer applies with its own milestone. Only later moves
    /// show, as "transferred". The queue is bound to those kinds only (see the definition); the other two still come inside
    /// an envelope that holds a CaseRouted, or from a publisher that is not yet upgraded, and are skipped.
    /// </summary>
    public Task Consume(ConsumeContext<CustodyTransferred> context) => context.Message.TransferKind is TransferKinds.Received or TransferKinds.Routed
        ? Task.CompletedTask
        : ApplyAsync(context, new CustodyUpdate
        {
            CaseId = context.Message.CaseId,
            CaseVersion = context.Message.CaseVersion,
            OccurredAt = context.Message.OccurredAt,
            OwnerKind = context.Message.ToOwnerKind,
            OwnerId = context.Message.ToOwnerId,
            Status = PublicStatuses.Assigned,
            Milestone = Milestones.Transferred,
        });

    public Task Consume(ConsumeContext<ComplainantContacted> context) => ApplyAsync(context, new CustodyUpdate
    {
        CaseId = context.Message.CaseId,
        CaseVersion = context.Message.CaseVersion,
        OccurredAt = context.Message.OccurredAt,
        OwnerKind = context.Message.OwnerKind,
        OwnerId = context.Message.OwnerId,
        Milestone = Milestones.Contacted,
    });

    /// <summary>The case is closed with a finding on every allegation.</summary>
    public Task Consume(ConsumeContext<CaseResolved> context) => ApplyAsync(context, new CustodyUpdate
    {
        CaseId = context.Message.CaseId,
        CaseVersion = context.Message.CaseVersion,
        OccurredAt = context.Message.OccurredAt,
        OwnerKind = context.Message.OwnerKind,
        OwnerId = context.Message.OwnerId,
        Status = PublicStatuses.Resolved,
        Milestone = Milestones.Resolved,
        FindingsJson = System.Text.Json.JsonSerializer.Serialize(
            context.Message.Findings.Select(f => new { allegationId = f.AllegationId, finding = f.Finding, type = f.AllegationType }), System.Text.Json.JsonSerializerOptions.Web),
    });

    /// <summary>A resolved case is open again.</summary>
    public Task Consume(ConsumeContext<CaseReopened> context) => ApplyAsync(context, new CustodyUpdate
    {
        CaseId = context.Message.CaseId,
        CaseVersion = context.Message.CaseVersion,
        OccurredAt = context.Message.OccurredAt,
        OwnerKind = context.Message.OwnerKind,
        OwnerId = context.Message.OwnerId,
        Status = PublicStatuses.Assigned,
        Milestone = Milestones.Reopened,
        FindingsJson = "null",
    });

    private Task ApplyAsync(ConsumeContext context, CustodyUpdate update) =>
        inbox.ProcessOnceAsync(nameof(PublicStatusConsumer), context.RequireMessageId(),
            (transaction, cancellationToken) => StatusProjection.ApplyAsync(transaction, update, cancellationToken),
            context.CancellationToken);
}

/// <summary>
/// A routed case's two or three events arrive together; they are applied one at a time (make bench's second longest wait was
/// their row lock). Bound to the custody moves that show as "transferred": not received or routed (<see cref="CustodyTransferRouting"/>),
/// and to the envelopes that hold an event this view shows (<see cref="CaseEventsEnvelope"/>).
/// </summary>
public sealed class PublicStatusConsumerDefinition : OneCaseAtATimeConsumerDefinition<PublicStatusConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<PublicStatusConsumer> consumerConfigurator, IRegistrationContext context)
    {
        base.ConfigureConsumer(endpointConfigurator, consumerConfigurator, context);
        endpointConfigurator.ReceiveCustodyTransfers(context, [.. TransferKinds.All.Except([TransferKinds.Received, TransferKinds.Routed])]);
        endpointConfigurator.ReceiveCaseEvents(typeof(PublicStatusConsumer));
    }
}
