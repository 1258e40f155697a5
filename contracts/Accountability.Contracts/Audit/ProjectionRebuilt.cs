namespace Accountability.Contracts.Audit;

/// <summary>
/// Audit's projections (case state, custody) were emptied and replayed from the trail. They are what the
/// auditor's pages read, so a rebuild, who asked for it and what it replayed, is itself on the record.
/// </summary>
public sealed record ProjectionRebuilt
{
    /// <summary>The projections rebuilt: "case-state", "custody", or both.</summary>
    public required IReadOnlyList<string> Projections { get; init; }

    /// <summary>The person id who asked through the API, or "cli:&lt;operating-system user&gt;" for the auditor's CLI.</summary>
    public required string Actor { get; init; }

    public required long RecordsReplayed { get; init; }
    public required int Cases { get; init; }

    /// <summary>The trail's newest record when the rebuild ran; the projections reflect everything up to it.</summary>
    public required long UpToGlobalSeq { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }
}
