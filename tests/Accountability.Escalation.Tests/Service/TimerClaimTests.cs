using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Escalation.Tests.Service;

/// <summary>
/// The timer poller claims with SKIP LOCKED. A due timer another instance holds is that instance's to fire: the
/// poller sleeps until the next timer comes due rather than claiming again and again while it is held.
/// </summary>
public sealed class TimerClaimTests
{
    [Fact]
    public async Task A_due_timer_another_instance_holds_is_left_to_it_and_the_poller_sleeps_until_the_poll_interval()
    {
        await using var host = await IsolatedEscalation.CreateAsync();
        await host.StartInstanceAsync(extra: new Dictionary<string, string> { ["Escalation__TimerPollInterval"] = "00:00:02" });
        var now = await host.NowAsync();
        var caseId = Guid.NewGuid();

        // A timer of a case this instance never saw, due in a minute of its manual clock; the test plays the other
        // instance that claimed it and is still firing it (its row lock, held across the wait below).
        await using var other = await TestDatabase.OpenAsync(host.Schema);
        var timerId = await other.ExecuteScalarAsync<long>(
            "insert into timers (case_id, clock, run, generation, percent, fire_at) values (@caseId, 'acknowledge', 1, 1, 50, @fireAt) returning timer_id",
            new { caseId, fireAt = now.AddMinutes(1).ToUniversalTime() });
        await using (var holding = await other.BeginTransactionAsync())
        {
            await other.ExecuteAsync("select 1 from timers where timer_id = @timerId for update", new { timerId }, holding);
            await host.AdvanceAsync(TimeSpan.FromMinutes(2));
            await Task.Delay(TimeSpan.FromSeconds(1));

            var before = await ScansAsync(host);
            await Task.Delay(TimeSpan.FromSeconds(5));
            // A backend reports its counts at most once a second: wait for the window's last ones.
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            var scans = await ScansAsync(host) - before;

            Assert.Equal("pending", await StateAsync(other, timerId, holding));
            // Waking at most every 2 s for two statements (the claim, then when to look again), each of which may scan more
            // than one index: a dozen or two in 6.5 s. A poller that claimed again whenever a held timer was due scanned it
            // thousands of times.
            Assert.True(scans <= 60, $"The timers table was scanned {scans} times while another instance held the one due timer.");
            await holding.RollbackAsync();
        }

        // The holder gave it up without firing it: the poller takes it at its next look and, knowing no such case, supersedes it.
        await Eventually.HoldsAsync(async () => await StateAsync(other, timerId, null) == "superseded", "the released timer is handled");
    }

    private static async Task<string> StateAsync(Npgsql.NpgsqlConnection connection, long timerId, Npgsql.NpgsqlTransaction? transaction) =>
        await connection.ExecuteScalarAsync<string>("select state from timers where timer_id = @timerId", new { timerId }, transaction) ?? "";

    private static Task<long> ScansAsync(IsolatedEscalation host) => host.CountAsync(
        "select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) from pg_stat_user_tables where schemaname = @schema and relname = 'timers'",
        new { schema = host.Schema });
}
