using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Accountability.Audit.Verification;

/// <summary>
/// hash = SHA-256(prev_hash ‖ UTF-8 canonical JSON of the record). The record is every column
/// except the bookkeeping of the global chain itself (global_seq, prev_hash, hash): a record's
/// place in the global chain is committed by the link (prev_hash) and by the signed checkpoints,
/// not by its number, so a moved row shows up as reordered rather than as altered. The case
/// chain's link (case_prev_hash) and case_seq are inside the record, so one hash commits to both chains.
/// </summary>
public static class ChainHash
{
    public const int Length = 32;

    /// <summary>The prev_hash of the first record of the global chain.</summary>
    public static byte[] Genesis => new byte[Length];

    public static byte[] Compute(byte[] prevHash, AuditRecord record)
    {
        var canonical = Encoding.UTF8.GetBytes(CanonicalRecord(record));
        var input = new byte[prevHash.Length + canonical.Length];
        prevHash.CopyTo(input, 0);
        canonical.CopyTo(input, prevHash.Length);
        return SHA256.HashData(input);
    }

    /// <summary>The hashed JSON: keys body, caseId, casePrevHash, caseSeq, eventId, occurredAt, recordedAt, source, traceparent, type (that is their sorted order).</summary>
    public static string CanonicalRecord(AuditRecord record)
    {
        var output = new StringBuilder(record.Body.Length + 512);
        output.Append("{\"body\":");
        using (var body = JsonDocument.Parse(record.Body))
            CanonicalJson.Write(body.RootElement, output);
        output.Append(",\"caseId\":");
        AppendStringOrNull(record.CaseId?.ToString("D"), output);
        output.Append(",\"casePrevHash\":");
        AppendStringOrNull(record.CasePrevHash is null ? null : Hex(record.CasePrevHash), output);
        output.Append(",\"caseSeq\":");
        output.Append(record.CaseSeq is { } caseSeq ? caseSeq.ToString(CultureInfo.InvariantCulture) : "null");
        output.Append(",\"eventId\":");
        CanonicalJson.WriteString(record.EventId.ToString("D"), output);
        output.Append(",\"occurredAt\":");
        CanonicalJson.WriteString(Instant(record.OccurredAt), output);
        output.Append(",\"recordedAt\":");
        CanonicalJson.WriteString(Instant(record.RecordedAt), output);
        output.Append(",\"source\":");
        CanonicalJson.WriteString(record.Source, output);
        output.Append(",\"traceparent\":");
        AppendStringOrNull(record.TraceParent, output);
        output.Append(",\"type\":");
        CanonicalJson.WriteString(record.Type, output);
        output.Append('}');
        return output.ToString();
    }

    /// <summary>UTC, exactly six fractional digits: PostgreSQL keeps microseconds, so that is what is hashed.</summary>
    public static string Instant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Drops the 100 ns ticks PostgreSQL cannot store, so the hash computed before the insert matches the row read back.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset instant) =>
        new(instant.UtcTicks - instant.UtcTicks % 10, TimeSpan.Zero);

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    public static bool SameHash(byte[]? a, byte[]? b) =>
        a is null || b is null ? a is null && b is null : a.AsSpan().SequenceEqual(b);

    private static void AppendStringOrNull(string? value, StringBuilder output)
    {
        if (value is null)
            output.Append("null");
        else
            CanonicalJson.WriteString(value, output);
    }
}
