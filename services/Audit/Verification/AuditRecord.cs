namespace Accountability.Audit.Verification;

/// <summary>
/// One row of audit_events, exactly as stored. <see cref="Body"/> is the event as JSON text in UTF-8: the canonical
/// text that was hashed (or, for a record written before migration 0006, jsonb's layout of it). Hashing, folding and
/// the COPY all want UTF-8, so only an export turns a body into a .NET string.
/// </summary>
public sealed record AuditRecord(
    long GlobalSeq,
    Guid EventId,
    Guid? CaseId,
    long? CaseSeq,
    string Type,
    string Source,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt,
    byte[] Body,
    string? TraceParent,
    byte[] PrevHash,
    byte[]? CasePrevHash,
    byte[] Hash);

/// <summary>One signed checkpoint: the head of the global chain at <see cref="GlobalSeq"/>.</summary>
public sealed record Checkpoint(long GlobalSeq, byte[] Hash, string KeyId, DateTimeOffset SignedAt, byte[] Signature);
