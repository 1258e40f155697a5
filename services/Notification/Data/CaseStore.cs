using System.Security.Cryptography;
using Accountability.Messaging.Database;
using Dapper;
using Npgsql;

namespace Accountability.Notification.Data;

/// <summary>What this service keeps of a case: its tracking code, anonymity, the sealed contact, the opt-out.</summary>
public static class CaseStore
{
    public sealed record CaseRow(
        Guid CaseId, string TrackingCode, bool Anonymous, string? ContactKeyId, string? ContactCiphertext,
        string OptOutToken, DateTime? OptedOutAt, string? UnitId, string? CaseNumber = null);

    /// <summary>A filing as this service keeps it; the contact stays sealed.</summary>
    public sealed record NewCase(
        Guid CaseId, string TrackingCode, string? CaseNumber, bool Anonymous, string? ContactKeyId, string? ContactCiphertext, DateTimeOffset ReceivedAt);

    /// <summary>
    /// The statement that keeps new cases, many in one (a case is written once: one already there stays as it is, with any
    /// opt-out that reached it). A new case makes the complainant's deliveries that were waiting for it due now
    /// (<see cref="Features.Planning.PlannedDelivery.CaseWait"/>).
    /// </summary>
    public static NpgsqlBatchCommand AddStatement(IReadOnlyList<NewCase> filed)
    {
        var cases = filed.DistinctBy(c => c.CaseId).ToList();
        return BatchStatements.Of(
            """
            with added as (
                insert into cases (case_id, tracking_code, case_number, anonymous, contact_key_id, contact_ciphertext, opt_out_token, received_at)
                select * from unnest(@caseIds, @trackingCodes, @caseNumbers, @anonymous, @keyIds, @ciphertexts, @tokens, @receivedAts)
                on conflict (case_id) do nothing
                returning case_id
            )
            update deliveries d set next_attempt_at = now()
            from added
            where d.case_id = added.case_id and d.status = 'pending' and d.recipient_role = 'complainant'
              and d.claim_id is null and d.next_attempt_at > now()
            """,
            new
            {
                caseIds = cases.Select(c => c.CaseId).ToArray(),
                trackingCodes = cases.Select(c => c.TrackingCode).ToArray(),
                caseNumbers = cases.Select(c => c.CaseNumber).ToArray(),
                anonymous = cases.Select(c => c.Anonymous).ToArray(),
                keyIds = cases.Select(c => c.ContactKeyId).ToArray(),
                ciphertexts = cases.Select(c => c.ContactCiphertext).ToArray(),
                tokens = cases.Select(_ => NewToken()).ToArray(),
                receivedAts = cases.Select(c => c.ReceivedAt.ToUniversalTime()).ToArray(),
            });
    }

    public static Task<CaseRow?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid caseId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<CaseRow>(new CommandDefinition(
            $"select {Columns("cases", "")} from cases where case_id = @caseId", new { caseId }, transaction, cancellationToken: cancellationToken));

    /// <summary>
    /// The columns of a <see cref="CaseRow"/> from <paramref name="table"/> (a table or its alias), each named as the record's
    /// parameter with <paramref name="prefix"/> in front: a query that reads a case beside something else (a delivery's claim) reads the same ones.
    /// </summary>
    public static string Columns(string table, string prefix) =>
        $"""
        {table}.case_id as {prefix}CaseId, {table}.tracking_code as {prefix}TrackingCode, {table}.anonymous as {prefix}Anonymous,
        {table}.contact_key_id as {prefix}ContactKeyId, {table}.contact_ciphertext as {prefix}ContactCiphertext,
        {table}.opt_out_token as {prefix}OptOutToken, {table}.opted_out_at as {prefix}OptedOutAt, {table}.unit_id as {prefix}UnitId,
        {table}.case_number as {prefix}CaseNumber
        """;

    /// <summary>
    /// The statement that makes a case's filing and news for its complainant planned beside it take turns: it locks each
    /// case, for the rest of the transaction, in one order. News planned while its case is still unknown here waits for the
    /// filing (<see cref="Features.Planning.PlannedDelivery.CaseWait"/>), and the filing's insert makes due the news already
    /// recorded. Written side by side in two transactions (two lanes of the grouped inbox), the news could look for its case
    /// before the filing committed, and the filing look for waiting news before the news committed: the news then waited its
    /// whole minute. With the lock, whichever comes second sees the first, since the statements after this one read with a
    /// snapshot taken once it holds the lock. Sent first in the commit's batch, ahead of every statement that reads or writes
    /// cases and deliveries.
    /// </summary>
    public static NpgsqlBatchCommand TakeTurnsStatement(IEnumerable<Guid> caseIds) =>
        BatchStatements.Of(
            """
            select count(pg_advisory_xact_lock(hashtext(current_schema()), k.key))
            from (select distinct hashtext(id::text) as key from unnest(@caseIds) as id order by 1) as k
            """,
            new { caseIds = caseIds.Distinct().ToArray() });

    /// <summary>
    /// The statement that records the units cases were routed to, many in one. A case this service has not seen yet keeps
    /// none: its routing news overtook its filing.
    /// </summary>
    public static NpgsqlBatchCommand SetUnitsStatement(IReadOnlyDictionary<Guid, string> unitsByCase) =>
        BatchStatements.Of(
            "update cases c set unit_id = u.unit_id from unnest(@caseIds, @unitIds) as u(case_id, unit_id) where c.case_id = u.case_id",
            new { caseIds = unitsByCase.Keys.ToArray(), unitIds = unitsByCase.Values.ToArray() });

    /// <summary>256 random bits, URL-safe: the secret in a public link.</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
