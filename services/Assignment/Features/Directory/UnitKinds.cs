namespace Accountability.Assignment.Features.Directory;

/// <summary>The kinds of unit an <see cref="Accountability.Contracts.Directory.OrgUnit"/> may be.</summary>
public static class UnitKinds
{
    public const string Intake = "intake";
    public const string Patrol = "patrol";
    public const string InternalAffairs = "internal-affairs";
    public const string ProfessionalStandards = "professional-standards";
    public const string Command = "command";

    public static readonly IReadOnlyList<string> All =
        [Intake, Patrol, InternalAffairs, ProfessionalStandards, Command];

    public static bool IsKnown(string? kind) => kind is not null && All.Contains(kind, StringComparer.Ordinal);
}
