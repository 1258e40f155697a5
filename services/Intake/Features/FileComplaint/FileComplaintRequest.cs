namespace Accountability.Intake.Features.FileComplaint;

/// <summary>
/// The body of POST /api/complaints and /api/public/complaints, as sent. Everything is optional
/// here so that the validator, not the deserializer, names each missing field.
/// </summary>
public sealed record FileComplaintRequest
{
    public string? Category { get; init; }
    public string? Narrative { get; init; }
    public string? Channel { get; init; }
    public string? District { get; init; }

    /// <summary>ISO 8601 with a zone offset; parsed by the validator so a missing offset is an error, not a guess.</summary>
    public string? OccurredAt { get; init; }

    public LocationInput? Location { get; init; }
    public IReadOnlyList<string?>? SubjectOfficers { get; init; }
    public IReadOnlyList<AllegationInput?>? Allegations { get; init; }
    public ComplainantInput? Complainant { get; init; }
}

public sealed record LocationInput
{
    public string? Address { get; init; }
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
}

public sealed record AllegationInput
{
    public string? Type { get; init; }
    public string? OfficerBadge { get; init; }

    /// <summary>A name or a description, when the badge is not known; both may be missing ("I don't know").</summary>
    public string? OfficerDescription { get; init; }
}

/// <summary>Either {name, email, phone} or {anonymous: true}.</summary>
public sealed record ComplainantInput
{
    public bool? Anonymous { get; init; }
    public string? Name { get; init; }
    public string? Email { get; init; }
    public string? Phone { get; init; }

    public override string ToString() => "ComplainantInput { (redacted) }";
}
