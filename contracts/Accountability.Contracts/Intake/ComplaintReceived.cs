namespace Accountability.Contracts.Intake;

/// <summary>
/// Intake stored a complaint; from this instant the intake desk owns it. The narrative stays in
/// intake (it can hold personal details); services that need it ask intake's API.
/// </summary>
public sealed record ComplaintReceived
{
    public required Guid CaseId { get; init; }

    /// <summary>Always 1: the first event of the case. Later events are numbered by the assignment service.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>The public tracking code the complainant holds.</summary>
    public required string TrackingCode { get; init; }

    /// <summary>The human case number staff use (e.g. IA-2026-00042): unique, in sequence per year. Null only from before numbers existed.</summary>
    public string? CaseNumber { get; init; }

    /// <summary>A code from <see cref="ComplaintCategories"/>.</summary>
    public required string Category { get; init; }

    /// <summary>A code from <see cref="ComplaintChannels"/>.</summary>
    public required string Channel { get; init; }

    /// <summary>"1" to "5" in the sample department; null when the complainant did not know it.</summary>
    public string? District { get; init; }

    public DateTimeOffset? OccurredAt { get; init; }

    public ComplaintLocation? Location { get; init; }

    public required IReadOnlyList<string> SubjectOfficerBadges { get; init; }

    public required IReadOnlyList<ReceivedAllegation> Allegations { get; init; }

    public required bool Anonymous { get; init; }

    /// <summary>Encrypted contact details; null when the complainant is anonymous.</summary>
    public SealedContact? Complainant { get; init; }

    /// <summary>The unit that owns the case from receipt, in the same transaction that stored it.</summary>
    public required string IntakeDeskUnitId { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>The clerk's person id, or "system:public-web" / "system:open311".</summary>
    public required string Actor { get; init; }

    /// <summary>Empty: receipt needs no reason.</summary>
    public required string Reason { get; init; }
}
