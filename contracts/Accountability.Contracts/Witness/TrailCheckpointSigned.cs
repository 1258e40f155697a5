namespace Accountability.Contracts.Witness;

/// <summary>
/// The audit service signed the head of its global chain. Other services keep these outside the audit
/// database (a witness), so a trail that was cut after its last checkpoint, checkpoints and all, still
/// fails verification: it ends before a head that somebody else saw signed. Not recorded in the trail
/// itself: the trail would then never stop witnessing its own witness.
/// </summary>
public sealed record TrailCheckpointSigned
{
    /// <summary>The audit schema whose trail this is (an installation may run several).</summary>
    public required string Trail { get; init; }

    public required long GlobalSeq { get; init; }

    /// <summary>The record's hash, lower-case hex.</summary>
    public required string Hash { get; init; }

    public required string KeyId { get; init; }

    public required DateTimeOffset SignedAt { get; init; }

    /// <summary>ECDSA P-256 over the canonical checkpoint payload, DER, base64.</summary>
    public required string Signature { get; init; }
}
