using Accountability.TestSupport;
using Dapper;
using Npgsql;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>The database holds the custody promise by itself, whatever the application does.</summary>
[Collection(nameof(AssignmentService))]
public sealed class CustodyConstraintTests(AssignmentService service)
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 3, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_second_open_interval_is_rejected()
    {
        Assert.NotNull(service.Process);
        var caseId = await OneOpenIntervalAsync();
        var error = await Assert.ThrowsAsync<PostgresException>(() => InsertAsync(caseId, 2, T0.AddHours(1), null));
        // Two open intervals also overlap, so either the unique open-interval index or the exclusion constraint stops it.
        Assert.Contains(error.SqlState, new[] { "23505", "23P01" });
    }

    [Fact]
    public async Task An_overlapping_interval_is_rejected()
    {
        var caseId = await OneOpenIntervalAsync(closedAt: T0.AddHours(2));
        var error = await Assert.ThrowsAsync<PostgresException>(() => InsertAsync(caseId, 2, T0.AddHours(1), T0.AddHours(3)));
        Assert.Equal("23P01", error.SqlState); // the exclusion constraint
    }

    [Fact]
    public async Task A_gap_between_intervals_is_rejected_at_commit()
    {
        var caseId = await OneOpenIntervalAsync(closedAt: T0.AddHours(2));
        var error = await Assert.ThrowsAsync<PostgresException>(() => InsertAsync(caseId, 2, T0.AddHours(3), null));
        Assert.Equal("23514", error.SqlState); // the deferred no-gap trigger
    }

    [Fact]
    public async Task A_custody_interval_cannot_be_deleted()
    {
        var caseId = await OneOpenIntervalAsync();
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync("delete from custody where case_id = @caseId", new { caseId }));
        Assert.Equal("23514", error.SqlState);
    }

    [Fact]
    public async Task A_transfer_that_closes_and_opens_at_the_same_instant_is_accepted()
    {
        var caseId = await OneOpenIntervalAsync();
        await using var connection = await TestDatabase.OpenAsync("assignment");
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("update custody set to_at = @at where case_id = @caseId and to_at is null", new { caseId, at = T0.AddHours(1) }, transaction);
        await connection.ExecuteAsync(
            "insert into custody (case_id, seq, owner_kind, owner_id, from_at, transfer_kind, reason, actor) values (@caseId, 2, 'person', 'p-1014', @at, 'handoff', 'test', 'test')",
            new { caseId, at = T0.AddHours(1) }, transaction);
        await transaction.CommitAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<long>("select count(*) from custody where case_id = @caseId", new { caseId }));
    }

    private static async Task<Guid> OneOpenIntervalAsync(DateTimeOffset? closedAt = null)
    {
        var caseId = Guid.NewGuid();
        await InsertAsync(caseId, 1, T0, closedAt);
        return caseId;
    }

    private static async Task InsertAsync(Guid caseId, int seq, DateTimeOffset from, DateTimeOffset? to)
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        await connection.ExecuteAsync(
            """
            insert into custody (case_id, seq, owner_kind, owner_id, from_at, to_at, transfer_kind, reason, actor)
            values (@caseId, @seq, 'unit', 'u-intake-desk', @from, @to, 'received', 'constraint test', 'test')
            """, new { caseId, seq, from, to });
    }
}
