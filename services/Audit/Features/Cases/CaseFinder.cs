using System.Text;
using System.Text.RegularExpressions;
using Accountability.Audit.Features.Replay;
using Dapper;
using Npgsql;

namespace Accountability.Audit.Features.Cases;

/// <summary>One case as the auditor's list shows it: from its ComplaintReceived record and audit's own case-state projection.</summary>
public sealed record CaseSummary(
    Guid CaseId, string? CaseNumber, string? Category, string? District, DateTimeOffset ReceivedAt, string? Status, OwnerView? Owner, int Events, DateTimeOffset? LastEventAt);

/// <summary>
/// Finds cases in the trail itself, not in assignment: the auditor checks what was recorded, and needs no other
/// service to answer. A case number or a tracking code finds one case; neither lists the most recently received.
/// </summary>
public static partial class CaseFinder
{
    public const string NumberExpected = "A case number looks like IA-2026-00042: a prefix, the year and a number, joined by hyphens.";
    public const string TrackingCodeExpected = "A tracking code looks like RPD-7K3M-Q9XD-2HRB-VN4T: 16 letters and digits after the prefix.";

    private const int TrackingSymbols = 16;
    private const string TrackingAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /// <summary>The number in the form it is indexed (upper case), or null when it cannot be a case number.</summary>
    public static string? NormalizeNumber(string? typed)
    {
        var number = typed?.Trim().ToUpperInvariant();
        return number is { Length: <= 40 } && CaseNumberPattern().IsMatch(number) ? number : null;
    }

    /// <summary>
    /// A code's 16 symbols as a person may type them (any case, hyphens or spaces, with or without the prefix;
    /// O read as 0, I and L as 1, as intake reads them), or null when it cannot be a tracking code.
    /// </summary>
    public static string? NormalizeTrackingCode(string? typed)
    {
        if (typed is null || typed.Length > 64)
            return null;
        var compact = new StringBuilder();
        foreach (var c in typed.ToUpperInvariant())
        {
            if (c is '-' or ' ')
                continue;
            if (!char.IsAsciiLetterOrDigit(c))
                return null;
            compact.Append(c);
        }
        if (compact.Length < TrackingSymbols)
            return null;
        var symbols = compact.ToString(compact.Length - TrackingSymbols, TrackingSymbols)
            .Replace('O', '0').Replace('I', '1').Replace('L', '1');
        return symbols.All(c => TrackingAlphabet.Contains(c)) ? symbols : null;
    }

    /// <summary>Most recently received first. <paramref name="number"/> and <paramref name="trackingSymbols"/> are already normalized.</summary>
    public static async Task<IReadOnlyList<CaseSummary>> FindAsync(NpgsqlConnection connection, string? number, string? trackingSymbols, int limit, CancellationToken cancellationToken)
    {
        // The expressions match the indexes of 0003_case_lookup.sql.
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            select r.case_id as CaseId, r.body->>'caseNumber' as CaseNumber, r.body->>'category' as Category, r.body->>'district' as District,
                   r.occurred_at as ReceivedAt, s.state->>'status' as Status, s.state->'owner'->>'kind' as OwnerKind, s.state->'owner'->>'id' as OwnerId,
                   coalesce(s.event_count, 0) as Events, (s.state->>'lastEventAt')::timestamptz as LastEventAt
            from audit_events r
            left join audit_case_state s on s.case_id = r.case_id
            where r.type = 'ComplaintReceived'
              and (@number::text is null or upper(r.body->>'caseNumber') = @number)
              and (@symbols::text is null or right(replace(upper(r.body->>'trackingCode'), '-', ''), 16) = @symbols)
            order by r.occurred_at desc, r.global_seq desc
            limit @limit
            """, new { number, symbols = trackingSymbols, limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new CaseSummary(r.CaseId, r.CaseNumber, r.Category, r.District, Utc(r.ReceivedAt), r.Status,
            r.OwnerKind is null || r.OwnerId is null ? null : new OwnerView(r.OwnerKind, r.OwnerId), r.Events, r.LastEventAt is { } last ? Utc(last) : null))];
    }

    // Npgsql reads timestamptz as a UTC DateTime.
    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    [GeneratedRegex("^[A-Z0-9]{1,12}(-[A-Z0-9]{1,12}){1,3}$")]
    private static partial Regex CaseNumberPattern();

    private sealed class Row
    {
        public Guid CaseId { get; init; }
        public string? CaseNumber { get; init; }
        public string? Category { get; init; }
        public string? District { get; init; }
        public DateTime ReceivedAt { get; init; }
        public string? Status { get; init; }
        public string? OwnerKind { get; init; }
        public string? OwnerId { get; init; }
        public int Events { get; init; }
        public DateTime? LastEventAt { get; init; }
    }
}
