using System.Globalization;
using System.Text;
using Accountability.Audit.Data;
using Accountability.Audit.Verification;
using Npgsql;

namespace Accountability.Audit.Features.Export;

/// <summary>
/// Writes the records recorded in [from, to) as JSON Lines or CSV, every column included, so an
/// export can be re-verified elsewhere: hashes in lower-case hex, instants as in the canonical form.
/// </summary>
public static class TrailExport
{
    public static readonly IReadOnlyList<string> Formats = ["jsonl", "csv"];

    private static readonly string[] Columns =
        ["globalSeq", "eventId", "caseId", "caseSeq", "type", "source", "occurredAt", "recordedAt", "traceparent", "prevHash", "casePrevHash", "hash", "body"];

    /// <summary>Null when the input is fine; otherwise what is wrong, by parameter name.</summary>
    public static Dictionary<string, string[]>? Validate(string? format, DateTimeOffset? from, DateTimeOffset? to)
    {
        var errors = new Dictionary<string, string[]>();
        if (format is null || !Formats.Contains(format))
            errors["format"] = [$"Must be one of: {string.Join(", ", Formats)}."];
        if (from is not null && to is not null && from > to)
            errors["from"] = ["Must not be later than 'to'."];
        return errors.Count == 0 ? null : errors;
    }

    /// <param name="caseId">Only that case's records (its chain), when given.</param>
    public static async Task<long> WriteAsync(
        NpgsqlConnection connection, string format, DateTimeOffset? from, DateTimeOffset? to, TextWriter output,
        IProgress<(long Done, long Total)>? progress, CancellationToken cancellationToken, Guid? caseId = null)
    {
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var total = progress is null ? 0 : await TrailStore.CountAsync(connection, transaction, cancellationToken);
        if (format == "csv")
            await output.WriteLineAsync(string.Join(',', Columns));
        long written = 0;
        await foreach (var record in TrailStore.ReadRecordsAsync(connection, transaction, from, to, caseId, cancellationToken))
        {
            await output.WriteLineAsync(format == "csv" ? CsvLine(record) : JsonLine(record));
            if (++written % 1000 == 0)
                progress?.Report((written, total));
        }
        progress?.Report((written, total));
        await transaction.CommitAsync(cancellationToken);
        return written;
    }

    private static IEnumerable<string?> Values(AuditRecord r) =>
    [
        r.GlobalSeq.ToString(CultureInfo.InvariantCulture), r.EventId.ToString("D"), r.CaseId?.ToString("D"),
        r.CaseSeq?.ToString(CultureInfo.InvariantCulture), r.Type, r.Source, ChainHash.Instant(r.OccurredAt), ChainHash.Instant(r.RecordedAt),
        r.TraceParent, ChainHash.Hex(r.PrevHash), r.CasePrevHash is null ? null : ChainHash.Hex(r.CasePrevHash), ChainHash.Hex(r.Hash),
        Encoding.UTF8.GetString(CanonicalJson.Canonicalize(r.Body)),
    ];

    private static string JsonLine(AuditRecord record)
    {
        var line = new StringBuilder("{");
        var values = Values(record).ToList();
        for (var i = 0; i < Columns.Length; i++)
        {
            if (i > 0)
                line.Append(',');
            CanonicalJson.WriteString(Columns[i], line);
            line.Append(':');
            if (Columns[i] == "body")
                line.Append(values[i]);
            else if (values[i] is null)
                line.Append("null");
            else if (Columns[i] is "globalSeq" or "caseSeq")
                line.Append(values[i]);
            else
                CanonicalJson.WriteString(values[i]!, line);
        }
        return line.Append('}').ToString();
    }

    // RFC 4180: quote every field that holds a comma, quote or line break; double the quotes.
    private static string CsvLine(AuditRecord record) =>
        string.Join(',', Values(record).Select(v => v is null ? "" : v.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{v.Replace("\"", "\"\"")}\"" : v));
}
