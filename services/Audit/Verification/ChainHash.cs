using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

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

    /// <param name="bodyIsCanonical">True when <see cref="AuditRecord.Body"/> is already in canonical form (the appender has just made it so): it is then hashed as it is, not canonicalised a second time.</param>
    public static byte[] Compute(byte[] prevHash, AuditRecord record, bool bodyIsCanonical = false)
    {
        var hash = new byte[Length];
        Compute(prevHash, record, hash, bodyAsStored: bodyIsCanonical);
        return hash;
    }

    /// <summary>
    /// True when the record's content, linked to <see cref="AuditRecord.PrevHash"/>, hashes to its stored hash.
    /// The body is first hashed as stored: the trail keeps the canonical text that was hashed, so for every record
    /// written since migration 0006 that is the whole check, with no parsing. Only a body that does not match as
    /// stored (written before, when jsonb reformatted it, or altered since) is canonicalised and hashed again.
    /// Hashing the stored bytes is as strict as canonicalising them: equal hashes mean the very bytes that were hashed.
    /// </summary>
    public static bool Matches(AuditRecord record)
    {
        Span<byte> hash = stackalloc byte[Length];
        Compute(record.PrevHash, record, hash, bodyAsStored: true);
        if (hash.SequenceEqual(record.Hash))
            return true;
        Compute(record.PrevHash, record, hash, bodyAsStored: false);
        return hash.SequenceEqual(record.Hash);
    }

    private static void Compute(byte[] prevHash, AuditRecord record, Span<byte> hash, bool bodyAsStored)
    {
        // One buffer per thread, reused: verify hashes a million records in a row.
        var input = buffer ??= new ArrayBufferWriter<byte>(4096);
        var sha256 = hasher ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        input.ResetWrittenCount();
        input.Write(prevHash);
        WriteCanonicalRecord(record, input, bodyAsStored);
        sha256.AppendData(input.WrittenSpan);
        sha256.GetHashAndReset(hash);
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? buffer;

    [ThreadStatic]
    private static IncrementalHash? hasher;

    /// <summary>The hashed JSON: keys body, caseId, casePrevHash, caseSeq, eventId, occurredAt, recordedAt, source, traceparent, type (that is their sorted order).</summary>
    public static string CanonicalRecord(AuditRecord record)
    {
        var output = new ArrayBufferWriter<byte>(record.Body.Length + 512);
        WriteCanonicalRecord(record, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static void WriteCanonicalRecord(AuditRecord record, ArrayBufferWriter<byte> output, bool bodyAsStored = false)
    {
        output.Write("{\"body\":"u8);
        if (bodyAsStored)
            output.Write(record.Body);
        else
            CanonicalJson.Write(record.Body, output);
        output.Write(",\"caseId\":"u8);
        if (record.CaseId is { } caseId)
            WriteQuoted(caseId, 36, "D", output);
        else
            output.Write("null"u8);
        output.Write(",\"casePrevHash\":"u8);
        if (record.CasePrevHash is { } casePrevHash)
            WriteHex(casePrevHash, output);
        else
            output.Write("null"u8);
        output.Write(",\"caseSeq\":"u8);
        if (record.CaseSeq is { } caseSeq)
            output.Advance(caseSeq.TryFormat(output.GetSpan(20), out var written, default, CultureInfo.InvariantCulture) ? written : throw new InvalidOperationException());
        else
            output.Write("null"u8);
        output.Write(",\"eventId\":"u8);
        WriteQuoted(record.EventId, 36, "D", output);
        output.Write(",\"occurredAt\":"u8);
        WriteInstant(record.OccurredAt, output);
        output.Write(",\"recordedAt\":"u8);
        WriteInstant(record.RecordedAt, output);
        output.Write(",\"source\":"u8);
        CanonicalJson.WriteString(record.Source, output);
        output.Write(",\"traceparent\":"u8);
        if (record.TraceParent is { } traceParent)
            CanonicalJson.WriteString(traceParent, output);
        else
            output.Write("null"u8);
        output.Write(",\"type\":"u8);
        CanonicalJson.WriteString(record.Type, output);
        output.Write("}"u8);
    }

    /// <summary>A value of known length that needs no escaping (a GUID), formatted as UTF-8 between quotes.</summary>
    private static void WriteQuoted<T>(T value, int length, string format, ArrayBufferWriter<byte> output) where T : IUtf8SpanFormattable
    {
        if (!value.TryFormat(Quoted(output, length), out var written, format, CultureInfo.InvariantCulture) || written != length)
            throw new InvalidOperationException($"'{value}' is not {length} characters in the format '{format}'.");
        output.Advance(length + 2);
    }

    /// <summary>
    /// An instant in <see cref="InstantFormat"/>, written through the runtime's fast round-trip format ("O": seven
    /// fractional digits, then Z) with the seventh digit dropped, which truncates to microseconds exactly as
    /// "ffffff" does. A custom format string is parsed on every call: 3.5% of verify's profile (docs/bench.md,
    /// thirteenth round).
    /// </summary>
    private static void WriteInstant(DateTimeOffset instant, ArrayBufferWriter<byte> output)
    {
        Span<byte> roundTrip = stackalloc byte[RoundTripLength];
        if (!instant.UtcDateTime.TryFormat(roundTrip, out var written, "O", CultureInfo.InvariantCulture) || written != RoundTripLength)
            throw new InvalidOperationException($"'{instant:O}' is not {RoundTripLength} characters in UTC's round-trip format.");
        var quoted = Quoted(output, InstantLength);
        roundTrip[..(InstantLength - 1)].CopyTo(quoted);
        quoted[InstantLength - 1] = (byte)'Z';
        output.Advance(InstantLength + 2);
    }

    /// <summary>The length of a UTC instant in the "O" format: 2026-03-03T14:05:00.1234567Z.</summary>
    private const int RoundTripLength = 28;

    private static void WriteHex(byte[] value, ArrayBufferWriter<byte> output)
    {
        if (!Convert.TryToHexStringLower(value, Quoted(output, value.Length * 2), out _))
            throw new InvalidOperationException("Hex is two characters a byte.");
        output.Advance(value.Length * 2 + 2);
    }

    /// <summary>Room for a value of known length between quotes (needing no escapes); the caller fills it and advances past both quotes.</summary>
    private static Span<byte> Quoted(ArrayBufferWriter<byte> output, int length)
    {
        var span = output.GetSpan(length + 2);
        span[0] = (byte)'"';
        span[length + 1] = (byte)'"';
        return span.Slice(1, length);
    }

    private const string InstantFormat = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'";

    /// <summary>The length of an instant in <see cref="InstantFormat"/>: 2026-03-03T14:05:00.123456Z.</summary>
    private const int InstantLength = 27;

    /// <summary>UTC, exactly six fractional digits: PostgreSQL keeps microseconds, so that is what is hashed.</summary>
    public static string Instant(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString(InstantFormat, CultureInfo.InvariantCulture);

    /// <summary>Drops the 100 ns ticks PostgreSQL cannot store, so the hash computed before the insert matches the row read back.</summary>
    public static DateTimeOffset ToMicroseconds(DateTimeOffset instant) =>
        new(instant.UtcTicks - instant.UtcTicks % 10, TimeSpan.Zero);

    public static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    public static bool SameHash(byte[]? a, byte[]? b) =>
        a is null || b is null ? a is null && b is null : a.AsSpan().SequenceEqual(b);
}
