using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Custody;
using Accountability.Assignment.Features.Routing;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Bus;
using Accountability.ServiceDefaults.Telemetry;
using Dapper;
using MassTransit;

namespace Accountability.Assignment.Consumers;

/// <summary>
/// A new complaint: open the case (owned by the intake desk from the instant it was received) and
/// route it, in one transaction with the inbox row and on one load of the case. A redelivery, or a second ComplaintReceived for
/// the same case, changes nothing.
/// </summary>
public sealed class ComplaintReceivedConsumer(
    Messaging.Inbox.Inbox inbox, CaseStore cases, DirectoryCache directory, TimeProvider time, ILogger<ComplaintReceivedConsumer> logger)
    : IConsumer<ComplaintReceived>
{
    public async Task Consume(ConsumeContext<ComplaintReceived> context)
    {
        var complaint = context.Message;
        System.Diagnostics.Activity.Current.TagCase(complaint.CaseId, "route", "unit", complaint.IntakeDeskUnitId);
        await inbox.ProcessOnceAsync(nameof(ComplaintReceivedConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
        {
            await directory.WhenLoaded.WaitAsync(cancellationToken);
            var chart = directory.Chart;
            var unitId = chart.Route(complaint.Category, complaint.District) ?? chart.IntakeDeskUnitId;
            // The case is not anyone's yet, so the workload counts are the same before and after its receipt.
            var openCases = (await transaction.Connection!.QueryAsync<(string OwnerId, int Open)>(new CommandDefinition(
                    "select owner_id, count(*)::int from cases where status = 'open' and owner_kind = 'person' and owner_id = any(@ids) group by owner_id",
                    new { ids = RoutingPolicy.Candidates(chart, unitId).ToArray() }, transaction, cancellationToken: cancellationToken)))
                .ToDictionary(r => r.OwnerId, r => r.Open);
            var choice = RoutingPolicy.Choose(chart, complaint.Category, complaint.District, complaint.SubjectOfficerBadges, openCases);

            var receive = new CustodyCommand.Receive(
                complaint.CaseId,
                complaint.IntakeDeskUnitId,
                complaint.SubjectOfficerBadges,
                [.. complaint.Allegations.Select(a => new CaseAllegation { Id = a.AllegationId.ToString(), Type = a.Type, OfficerBadge = a.OfficerBadge, OfficerDescription = a.OfficerDescription })],
                complaint.Category,
                complaint.District,
                "system:intake",
                complaint.CaseNumber);
            // A receipt stamped by a clock ahead of ours must not make routing look like time ran backwards.
            var now = time.GetUtcNow();
            List<(CustodyCommand, DateTimeOffset)> commands = [(receive, complaint.ReceivedAt)];
            if (choice is not null)
                commands.Add((new CustodyCommand.Route(choice.UnitId, choice.PersonId, choice.Reason, CustodyDecider.RouterActor),
                    now < complaint.ReceivedAt ? complaint.ReceivedAt : now));
            var decisions = await cases.ExecuteInTurnAsync(transaction, complaint.CaseId, commands, cancellationToken);

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
        }, context.CancellationToken);
    }
}

public sealed class ComplaintReceivedConsumerDefinition : RetryingConsumerDefinition<ComplaintReceivedConsumer>;
