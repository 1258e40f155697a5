namespace Accountability.Console.Backend;

// The audit service's answers for the auditor's journey (issue 12), as the console reads them.

/// <summary>Audit: one entry of GET /api/audit/cases.</summary>
public sealed record AuditCaseSummaryDto(
    Guid CaseId, string? CaseNumber, string? Category, string? District, DateTimeOffset ReceivedAt, string? Status, AuditOwnerDto? Owner, int Events, DateTimeOffset? LastEventAt);

public sealed record CaseBadRecordDto(long? GlobalSeq, long? CaseSeq, Guid? EventId, string Problem, string Detail);

public sealed record CaseRecordHashesDto(long CaseSeq, long GlobalSeq, string Type, DateTimeOffset OccurredAt, DateTimeOffset RecordedAt, string PrevHash, string? CasePrevHash, string Hash);

public sealed record CheckpointCoverageDto(long GlobalSeq, string Hash, string KeyId, string SignedAt, string Signature, bool Verified, long RecordsWalked);

/// <summary>Audit: GET /api/audit/cases/{id}/verify.</summary>
public sealed record CaseVerificationDto(
    Guid CaseId, bool Valid, int CheckedRecords, CaseBadRecordDto? FirstBadRecord, string CaseChain, string GlobalTrail,
    CheckpointCoverageDto? Checkpoint, string Message, IReadOnlyList<CaseRecordHashesDto> Records);
