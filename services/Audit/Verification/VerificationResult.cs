namespace Accountability.Audit.Verification;

/// <summary>The kinds of damage verify names.</summary>
public static class Problems
{
    /// <summary>The record's content no longer matches its hash, or disagrees with a signed checkpoint.</summary>
    public const string Altered = "altered";

    /// <summary>A record is missing: a gap in global_seq, or a link to a predecessor that is not in the trail.</summary>
    public const string Deleted = "deleted";

    /// <summary>A record that its successor does not link to: it was slipped in between two genuine records.</summary>
    public const string Inserted = "inserted";

    /// <summary>Genuine records out of their chained order.</summary>
    public const string Reordered = "reordered";

    /// <summary>A checkpoint whose signature does not verify, or whose key is unknown.</summary>
    public const string BadCheckpoint = "bad-checkpoint";
}

/// <summary>The first record (in global order) that is not what the chains say it should be.</summary>
public sealed record BadRecord(long GlobalSeq, Guid? EventId, string Problem, string Detail);

public sealed record VerificationResult(bool Valid, long CheckedRecords, long CheckedCheckpoints, BadRecord? FirstBadRecord, string Message)
{
    public static VerificationResult Empty(long checkpoints) =>
        new(true, 0, checkpoints, null, "The trail is empty: there is nothing to verify, and nothing is wrong.");
}
