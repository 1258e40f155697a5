using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace Accountability.Notification.Data;

/// <summary>What this service keeps of a case: its tracking code, anonymity, the sealed contact, the opt-out.</summary>
public static class CaseStore
{
    public sealed record CaseRow(
        Guid CaseId, string TrackingCode, bool Anonymous, string? ContactKeyId, string? ContactCiphertext,
        string OptOutToken, DateTime? OptedOutAt, string? UnitId, string? CaseNumber = null);

    /// <summary>
    /// Keeps a new case and returns it as stored: the row just written, or the one already there (a case is written once;
    /// an opt-out may have reached it since), so the caller needs no second read. A new case makes the complainant's
    /// deliveries that were waiting for it due now (<see cref="Features.Planning.PlannedDelivery.CaseWait"/>).
    /// </summary>
    public static async Task<CaseRow> AddAsync(
        NpgsqlTransaction transaction, Guid caseId, string trackingCode, string? caseNumber, bool anonymous, string? keyId, string? ciphertext,
        DateTimeOffset receivedAt, CancellationToken cancellationToken) =>
        await transaction.Connection!.QuerySingleAsync<CaseRow>(new CommandDefinition(
            $"""
            with added as (
                insert into cases (case_id, tracking_code, case_number, anonymous, contact_key_id, contact_ciphertext, opt_out_token, received_at)
                values (@caseId, @trackingCode, @caseNumber, @anonymous, @keyId, @ciphertext, @token, @receivedAt)
                on conflict (case_id) do nothing
                returning *
            ), waited as (
                update deliveries d set next_attempt_at = now()
                from added
                where d.case_id = added.case_id and d.status = 'pending' and d.recipient_role = 'complainant'
                  and d.claim_id is null and d.next_attempt_at > now()
            )
            select {Columns("added", "")} from added
            union all
            select {Columns("cases", "")} from cases where case_id = @caseId and not exists (select 1 from added)
            """,
            new { caseId, trackingCode, caseNumber, anonymous, keyId, ciphertext, token = NewToken(), receivedAt },
            transaction, cancellationToken: cancellationToken));

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

    /// <summary>Records the unit the case was routed to; returns the case as it now stands, or null when this service has not seen it yet.</summary>
    public static Task<CaseRow?> SetUnitAsync(NpgsqlTransaction transaction, Guid caseId, string unitId, CancellationToken cancellationToken) =>
        transaction.Connection!.QuerySingleOrDefaultAsync<CaseRow>(new CommandDefinition(
            $"update cases set unit_id = @unitId where case_id = @caseId returning {Columns("cases", "")}",
            new { caseId, unitId }, transaction, cancellationToken: cancellationToken));

    /// <summary>256 random bits, URL-safe: the secret in a public link.</summary>
    public static string NewToken() => Base64Url(RandomNumberGenerator.GetBytes(32));

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
