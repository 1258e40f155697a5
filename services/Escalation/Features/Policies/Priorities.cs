namespace Accountability.Escalation.Features.Policies;

/// <summary>A case's priority, derived from what it alleges; no event carries one.</summary>
public static class Priorities
{
    public const string Standard = "standard";
    public const string Urgent = "urgent";

    public static readonly IReadOnlyList<string> All = [Standard, Urgent];

    /// <summary>Urgent when the complaint or any of its allegations is of an urgent category (force and misconduct by default).</summary>
    public static string Of(string category, IEnumerable<string> allegationTypes, IReadOnlyCollection<string> urgentCategories) =>
        urgentCategories.Contains(category) || allegationTypes.Any(urgentCategories.Contains) ? Urgent : Standard;
}
