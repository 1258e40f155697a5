using Accountability.Messaging.Database;
using Dapper;
using Npgsql;

namespace Accountability.Intake.Features.FileComplaint;

/// <summary>
/// IA-2026-00042: the number people say on the phone and write in letters. The first 8 characters of a
/// time-ordered id looked alike for cases filed close together (one appeared 7 times on a board).
/// </summary>
public static class CaseNumbers
{
    /// <summary>
    /// Takes the next number of the filing's year (UTC) and stamps it on the rows the filing wrote: the complaint, its
    /// ComplaintReceived outbox row and, when there is one, the idempotency row's stored receipt. Taken in the filing's
    /// transaction, so a rollback gives it back and no number is skipped. That holds the year's counter row until commit,
    /// and every filing queues on it: so this is the filing's last statement, one round trip, and the lock lasts only
    /// for the commit (issue 18: taken first, it made the counter the system's longest wait).
    /// </summary>
    public static async Task<string> StampAsync(
        NpgsqlTransaction transaction, string prefix, DateTimeOffset receivedAt, Guid caseId, Guid outboxMessageId,
        (string Scope, string Key)? idempotency, CancellationToken cancellationToken)
    {
        var year = receivedAt.UtcDateTime.Year;
        return await transaction.Connection!.ExecuteScalarAsync<string>(new CommandDefinition(
            """
            with taken as (
                insert into case_number_sequences (year, last) values (@year, 1)
                on conflict (year) do update set last = case_number_sequences.last + 1
                returning @prefix || '-' || @year || '-' || case when last < 100000 then lpad(last::text, 5, '0') else last::text end as number
            ), complaint as (
                update complaints set case_number = taken.number from taken where case_id = @caseId returning taken.number
            ), announced as (
                update outbox set body = jsonb_set(body, '{caseNumber}', to_jsonb(taken.number)) from taken where message_id = @outboxMessageId
            ), receipt as (
                update idempotency_keys set response = jsonb_set(response, '{caseNumber}', to_jsonb(taken.number))
                from taken where scope = @scope and key = @key
            )
            select number from complaint
            """,
            new { year, prefix, caseId, outboxMessageId, scope = idempotency?.Scope, key = idempotency?.Key },
            transaction, cancellationToken: cancellationToken))
            ?? throw new InvalidOperationException($"Case {caseId} was not written before its number was taken.");
    }

    /// <summary>
    /// As <see cref="StampAsync"/> for a batch of one year's filings, in one statement: the counter moves on by their
    /// count, and they take the numbers in the order given. Returns each case's number.
    /// </summary>
    public static async Task<IReadOnlyList<(Guid CaseId, string Number)>> StampAllAsync(
        NpgsqlTransaction transaction, string prefix, int year, IReadOnlyList<(Guid CaseId, Guid OutboxMessageId, (string Scope, string Key)? Idempotency)> filings,
        CancellationToken cancellationToken)
    {
        var stamped = (await transaction.Connection!.QueryAsync<(Guid CaseId, string Number)>(new CommandDefinition(
            StampAllSql, StampAllParameters(prefix, year, filings), transaction, cancellationToken: cancellationToken))).ToList();
        if (stamped.Count != filings.Count)
            throw new InvalidOperationException($"{filings.Count - stamped.Count} of the batch's cases were not written before their numbers were taken.");
        return stamped;
    }

    /// <summary><see cref="StampAllAsync"/> as the last statement of a batch sent in one round trip; it returns (case_id, number) rows.</summary>
    public static NpgsqlBatchCommand StampAllStatement(
        string prefix, int year, IReadOnlyList<(Guid CaseId, Guid OutboxMessageId, (string Scope, string Key)? Idempotency)> filings) =>
        BatchStatements.Of(StampAllSql, StampAllParameters(prefix, year, filings));

    private static object StampAllParameters(
        string prefix, int year, IReadOnlyList<(Guid CaseId, Guid OutboxMessageId, (string Scope, string Key)? Idempotency)> filings) => new
    {
        year, prefix, count = filings.Count,
        caseIds = filings.Select(f => f.CaseId).ToArray(),
        messageIds = filings.Select(f => f.OutboxMessageId).ToArray(),
        scopes = filings.Select(f => f.Idempotency?.Scope).ToArray(),
        keys = filings.Select(f => f.Idempotency?.Key).ToArray(),
    };

    private const string StampAllSql =
        """
        with taken as (
            insert into case_number_sequences (year, last) values (@year, @count)
            on conflict (year) do update set last = case_number_sequences.last + @count
            returning last
        ), numbered as (
            select f.case_id, f.message_id, f.scope, f.key,
                   @prefix || '-' || @year || '-' || case when n < 100000 then lpad(n::text, 5, '0') else n::text end as number
            from unnest(@caseIds, @messageIds, @scopes, @keys) with ordinality as f(case_id, message_id, scope, key, position)
            cross join taken cross join lateral (select taken.last - @count + f.position as n) as numbering
        ), complaint as (
            update complaints c set case_number = numbered.number from numbered where c.case_id = numbered.case_id
            returning c.case_id, numbered.number
        ), announced as (
            update outbox o set body = jsonb_set(o.body, '{caseNumber}', to_jsonb(numbered.number)) from numbered where o.message_id = numbered.message_id
        ), receipt as (
            update idempotency_keys k set response = jsonb_set(k.response, '{caseNumber}', to_jsonb(numbered.number))
            from numbered where numbered.scope is not null and k.scope = numbered.scope and k.key = numbered.key
        )
        select case_id, number from complaint
        """;

    public static string Format(string prefix, int year, int number) => $"{prefix}-{year}-{number:D5}";
}
