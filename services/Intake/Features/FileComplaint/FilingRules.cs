namespace Accountability.Intake.Features.FileComplaint;

/// <summary>What differs between the doors a complaint comes in by: the rules stay one set.</summary>
public sealed record FilingRules
{
    /// <summary>Staff know the district; the public often does not, and routing has a rule for "any district".</summary>
    public required bool DistrictRequired { get; init; }

    /// <summary>The channel this door always files under (web, open311); null when the caller says.</summary>
    public string? FixedChannel { get; init; }

    public static FilingRules Staff { get; } = new() { DistrictRequired = true };

    public static FilingRules PublicWeb { get; } = new() { DistrictRequired = false, FixedChannel = Contracts.Intake.ComplaintChannels.Web };

    public static FilingRules Open311 { get; } = new() { DistrictRequired = false, FixedChannel = Contracts.Intake.ComplaintChannels.Open311 };
}
