using Accountability.Contracts.Custody;
using Accountability.Messaging.Bus;
using Accountability.Notification.Data;
using Accountability.Notification.Features.Planning;
using Accountability.Notification.Features.Satisfaction;
using Accountability.Notification.Features.Templates;
using Accountability.ServiceDefaults.Telemetry;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Accountability.Notification.Consumers;

/// <summary>The case is resolved: the complainant hears the findings, and is asked one question about how it went.</summary>
public sealed class CaseResolvedConsumer(NotifyingInbox inbox, Notifier notifier, IOptions<NotificationOptions> options) : IConsumer<CaseResolved>
{
    public Task Consume(ConsumeContext<CaseResolved> context)
    {
        var resolved = context.Message;
        System.Diagnostics.Activity.Current.TagCase(resolved.CaseId, "notify-resolution", resolved.OwnerKind, resolved.OwnerId);
        return inbox.ProcessOnceAsync(nameof(CaseResolvedConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            var chart = await notifier.ChartAsync(transaction, cancellationToken);
            var known = await CaseStore.FindAsync(transaction.Connection!, transaction, resolved.CaseId, cancellationToken);
            var unitId = chart?.UnitOf(resolved.OwnerKind, resolved.OwnerId) ?? known?.UnitId;
            var unitName = (unitId is null ? null : chart?.Unit(unitId)?.Name) ?? options.Value.DepartmentName;
            if (known is { Anonymous: true })
                return; // nobody to ask, so no question is recorded either

            var token = await SatisfactionStore.AskAsync(transaction, resolved.CaseId, unitId, resolved.OccurredAt, cancellationToken);
            await notifier.ToComplainantAsync(transaction, resolved.CaseId, Triggers.Resolution,
                PlannedDelivery.CaseEvent(resolved.CaseId, resolved.CaseVersion), new Dictionary<string, string>
                {
                    ["unitName"] = unitName,
                    ["findingsSummary"] = PlainWords.FindingsSummary(resolved.Findings),
                    ["satisfactionUrl"] = SatisfactionLinks.Question(options.Value, token),
                }, cancellationToken);
        }, context.CancellationToken);
    }
}

public sealed class CaseResolvedConsumerDefinition : RetryingConsumerDefinition<CaseResolvedConsumer>;
