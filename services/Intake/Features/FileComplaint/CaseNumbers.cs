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

    public static string Format(string prefix, int year, int number) => $"{prefix}-{year}-{number:D5}";
}
