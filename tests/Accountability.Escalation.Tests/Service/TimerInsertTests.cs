using System.Text.Json;
using Accountability.Contracts.Escalation;
using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// The shape of the timer writes: a case event proposes a timer only for the clocks it started or restarted, not for
/// every running clock of the case again, and only each one's next threshold. A BEFORE INSERT row trigger sees every row proposed, even those that
/// ON CONFLICT DO NOTHING then drops, so it counts what the service asked for rather than what was new.
/// </summary>
[Collection(nameof(EscalationFixture))]
public sealed class TimerInsertTests(EscalationFixture fixture)
{
    private IsolatedEscalation Host => fixture.Host;

    [Fact]
    public async Task An_event_proposes_timers_only_for_the_clocks_it_started_and_one_that_starts_none_proposes_none()
    {
        await WatchProposedTimersAsync();
        var now = await Host.NowAsync();
        var script = await CaseScript.RoutedAsync(Host, "force", "p-1014", now, anonymous: false);
        await Host.WaitForClockAsync(script.CaseId, SlaClocks.Acknowledge,
            c => c.GetProperty("ownerId").GetString() == "p-1014" && c.GetProperty("dueAt").ValueKind == JsonValueKind.String, "p-1014's clock runs");
        var clocks = await Host.ClocksAsync(script.CaseId);
        Assert.True(clocks.EnumerateArray().Count(c => c.GetProperty("state").GetString() == "running") >= 3,
            $"several clocks run, so that a full reschedule would show: {clocks}");
        var afterRouting = await ProposedAsync(script.CaseId);

        // Acknowledging stops a clock and starts none.
        await Host.WaitUntilConsumedAsync(await Host.PublishTrackedAsync(new Contracts.Custody.CaseAcknowledged
        {
            CaseId = script.CaseId, CaseVersion = script.Next(), Actor = "p-1014", Reason = "", OccurredAt = now, OwnerKind = "person", OwnerId = "p-1014",
        }));
        Assert.Equal(afterRouting, await ProposedAsync(script.CaseId));

        // A transfer starts a new run of the acknowledge clock: its next threshold, one timer, and no other clock's.
        await Host.WaitUntilConsumedAsync(await Host.PublishTrackedAsync(script.Transfer("reassigned", "person", "p-1015", now)));
        var afterTransfer = await ProposedAsync(script.CaseId);
        Assert.Equal(new[] { SlaClocks.Acknowledge }, afterTransfer.Skip(afterRouting.Count));
    }

    /// <summary>Records every timer row the service proposes, in insert order; the trigger runs as its owner, the test's login.</summary>
    private async Task WatchProposedTimersAsync()
    {
        await using var connection = await TestDatabase.OpenAsync(Host.Schema);
        await connection.ExecuteAsync(
            $"""
            create table if not exists test_proposed_timers (seq bigserial primary key, case_id uuid not null, clock text not null);
            create or replace function test_record_proposed_timer() returns trigger language plpgsql security definer as $$
            begin
                insert into {Host.Schema}.test_proposed_timers (case_id, clock) values (new.case_id, new.clock);
                return new;
            end $$;
            drop trigger if exists test_proposed_timers on timers;
            create trigger test_proposed_timers before insert on timers for each row execute function test_record_proposed_timer();
            """);
    }

    private async Task<List<string>> ProposedAsync(Guid caseId)
    {
        await using var connection = await TestDatabase.OpenAsync(Host.Schema);
        return [.. await connection.QueryAsync<string>("select clock from test_proposed_timers where case_id = @caseId order by seq", new { caseId })];
    }
}
