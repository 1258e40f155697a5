namespace Accountability.Contracts.EarlyWarning;

/// <summary>A supervisor (or internal-affairs command) acknowledged an early warning with the intervention chosen.</summary>
public sealed record EarlyWarningAcknowledged
{
    public required Guid WarningId { get; init; }
    public required string OfficerBadge { get; init; }
    public required string PolicyId { get; init; }
    public required int PolicyVersion { get; init; }

    /// <summary>A value of <see cref="Interventions"/>.</summary>
    public required string Intervention { get; init; }

    /// <summary>The supervisor's note; required for "none" (why no intervention).</summary>
    public required string Reason { get; init; }

    /// <summary>The person id who acknowledged.</summary>
    public required string Actor { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }
}
