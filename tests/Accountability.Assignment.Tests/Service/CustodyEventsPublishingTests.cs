using Accountability.TestSupport;
using Dapper;
using Npgsql;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>
/// Custody:EventsInOneMessage. An older assignment instance shares the outbox and cannot read an envelope (its relay would set
/// the row aside for good), so while one still runs, the upgraded instances publish each event alone, as it did.
/// </summary>
public sealed class CustodyEventsPublishingTests
{
    [Fact]
    public async Task Told_to_publish_each_event_alone_assignment_puts_a_routings_four_events_in_the_outbox_one_by_one()
    {
        await IsolatedAssignment.RunAsync("events_alone", async (connectionString, vhost, settings) =>
        {
            settings["Custody__EventsInOneMessage"] = "false";
            var bus = await IsolatedAssignment.StartBusAsync(vhost.AmqpUri);
            try
            {
                await using var service = await ServiceProcess.StartAsync("Assignment", settings);
                var complaint = AssignmentService.Complaint("force", "2", [], "IA-ALONE-1");
                await bus.Publish(complaint);
                await Eventually.HoldsAsync(async () => await IsolatedAssignment.RoutedAsync(connectionString, complaint.CaseId), "the case is routed");

                await using var connection = new NpgsqlConnection(connectionString);
                var types = (await connection.QueryAsync<string>(
                    "select split_part(message_type, ',', 1) from assignment.outbox where body->>'caseId' = @caseId and message_type like 'Accountability.Contracts.Custody.%' order by seq",
                    new { caseId = complaint.CaseId.ToString() })).ToList();
                Assert.Equal(
                    ["CaseOpened", "CustodyTransferred", "CaseRouted", "CustodyTransferred"],
                    types.Select(t => t["Accountability.Contracts.Custody.".Length..]));
            }
            finally
            {
                await bus.StopAsync();
            }
        });
    }

    [Fact]
    public async Task A_value_that_is_not_true_or_false_stops_the_start_naming_the_setting() =>
        Assert.Contains("Custody:EventsInOneMessage",
            await ServiceProcess.OutputOfRefusedStartAsync("Assignment", new Dictionary<string, string> { ["Custody__EventsInOneMessage"] = "perhaps" }),
            StringComparison.Ordinal);
}
