namespace Accountability.Contracts.Intake;

/// <summary>Where the incident happened: a street address, a point (WGS 84), or both.</summary>
public sealed record ComplaintLocation
{
    public string? Address { get; init; }
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
}
