namespace Accountability.Contracts.Intake;

/// <summary>
/// The complaint taxonomy: intake classifies every complaint (and every allegation) as exactly one of
/// these codes, and the routing rules name them. Shared here so intake and assignment agree without
/// referencing each other.
/// </summary>
public static class ComplaintCategories
{
    public const string Force = "force";
    public const string AbuseOfAuthority = "abuse-of-authority";
    public const string Discourtesy = "discourtesy";
    public const string OffensiveLanguage = "offensive-language";
    public const string LackOfService = "lack-of-service";
    public const string Misconduct = "misconduct";
    public const string Other = "other";

    public static readonly IReadOnlyList<string> All =
        [Force, AbuseOfAuthority, Discourtesy, OffensiveLanguage, LackOfService, Misconduct, Other];

    public static bool IsKnown(string? category) => category is not null && All.Contains(category, StringComparer.Ordinal);
}
