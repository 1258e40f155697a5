using Accountability.Notification.Data;
using Dapper;
using Npgsql;

namespace Accountability.Notification.Features.Satisfaction;

/// <summary>One satisfaction question per case, its unguessable token, and at most one answer.</summary>
public static class SatisfactionStore
{
    /// <summary>Asks once per case: a reopened and re-resolved case keeps its first token (and answer).</summary>
    public static async Task<string> AskAsync(NpgsqlTransaction transaction, Guid caseId, string? unitId, DateTimeOffset askedAt, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into satisfaction (token, case_id, unit_id, asked_at) values (@token, @caseId, @unitId, @askedAt)
            on conflict (case_id) do nothing
            """, new { token = CaseStore.NewToken(), caseId, unitId, askedAt }, transaction, cancellationToken: cancellationToken));
        return await connection.QuerySingleAsync<string>(new CommandDefinition(
            "select token from satisfaction where case_id = @caseId", new { caseId }, transaction, cancellationToken: cancellationToken));
    }
}
