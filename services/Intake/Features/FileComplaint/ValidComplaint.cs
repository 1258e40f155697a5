using Accountability.Contracts.Intake;
using Accountability.ServiceDefaults.Privacy;

namespace Accountability.Intake.Features.FileComplaint;

/// <summary>A complaint that passed every rule, normalised (badges upper-case, phone digits only).</summary>
public sealed record ValidComplaint
{
    public required string Category { get; init; }
    public required string Narrative { get; init; }
    public required string Channel { get; init; }
    public string? District { get; init; }
    public DateTimeOffset? OccurredAt { get; init; }
    public ComplaintLocation? Location { get; init; }
    public required IReadOnlyList<string> SubjectOfficerBadges { get; init; }
    public required IReadOnlyList<ValidAllegation> Allegations { get; init; }

    /// <summary>Null when the complainant is anonymous.</summary>
    public ComplainantContact? Complainant { get; init; }

    public bool Anonymous => Complainant is null;

    public override string ToString() => $"ValidComplaint {{ Category = {Category}, Channel = {Channel} }}";
}

/// <summary>An allegation; <paramref name="OfficerBadge"/> is empty when the officer is not identified.</summary>
public sealed record ValidAllegation(string Type, string OfficerBadge, string? OfficerDescription = null);
