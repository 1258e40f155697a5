namespace Accountability.Contracts.EarlyWarning;

/// <summary>What a supervisor does about an early warning.</summary>
public static class Interventions
{
    public const string Training = "training";
    public const string Counselling = "counselling";

    /// <summary>No intervention; the reason must say why.</summary>
    public const string None = "none";

    public static readonly IReadOnlyList<string> All = [Training, Counselling, None];

    public static bool IsKnown(string? value) => value is not null && All.Contains(value);
}
