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
            // The case is not anyone's yet, so the workload counts are the same before and after its receipt. They are
            // kept by a trigger (migration 0012): one row a candidate, however many cases the department has open.
            var openCases = (await transaction.Connection!.QueryAsync<(string PersonId, int Open)>(new CommandDefinition(
                    "select person_id, open_cases from person_open_cases where person_id = any(@ids)",
                    new { ids = RoutingPolicy.Candidates(chart, unitId).ToArray() }, transaction, cancellationToken: cancellationToken)))
                .ToDictionary(r => r.PersonId, r => r.Open);
            var choice = RoutingPolicy.Choose(chart, complaint.Category, complaint.District, complaint.SubjectOfficerBadges, openCases);
            // Concurrent complaints read the same counts and would all pick the same person, then queue on that person's
            // count row. Each holds its choice's row instead, and the row it holds tells the count as of now. A row another
            // routing holds is getting a case right now, so it counts one more; a count that moved since it was read is
            // taken as it is: either way the choice is made again. No waiting, and the cases are levelled as if routed one by one.
            for (var tries = 0; tries < MaxChoices && choice?.PersonId is { } person && openCases.TryGetValue(person, out var counted); tries++)
            {
                var current = await HoldAsync(transaction, person, cancellationToken);
                if (current == counted)
                    break;
                openCases[person] = current ?? counted + 1;
                choice = RoutingPolicy.Choose(chart, complaint.Category, complaint.District, complaint.SubjectOfficerBadges, openCases);
            }

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

    /// <summary>How many choices routing makes before it takes the last one anyway (and waits for that person's row if it must).</summary>
    private const int MaxChoices = 8;

    /// <summary>Locks the person's count row and returns the count as of now; null when another transaction holds the row.</summary>
    private static async Task<int?> HoldAsync(Npgsql.NpgsqlTransaction transaction, string personId, CancellationToken cancellationToken) =>
        await transaction.Connection!.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
            "select open_cases from person_open_cases where person_id = @personId for update skip locked",
            new { personId }, transaction, cancellationToken: cancellationToken));
}

public sealed class ComplaintReceivedConsumerDefinition : RetryingConsumerDefinition<ComplaintReceivedConsumer>;
