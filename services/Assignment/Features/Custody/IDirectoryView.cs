namespace Accountability.Assignment.Features.Custody;

/// <summary>
/// The few facts about the department that the custody rules need. The service adapts its org chart to this;
/// tests use a small in-memory department.
/// </summary>
public interface IDirectoryView
{
    /// <summary>Null when nobody has this id.</summary>
    DirectoryPerson? FindPerson(string personId);

    /// <summary>Null when no person carries this badge.</summary>
    string? FindPersonIdByBadge(string badge);

    /// <summary>The person's supervisors, nearest first, up to the top; excludes the person. Empty for an unknown person.</summary>
    IReadOnlyList<string> ChainOfCommand(string personId);

    /// <summary>Null when there is no such unit.</summary>
    string? UnitCommander(string unitId);

    bool IsMemberOfUnit(string personId, string unitId);

    /// <summary>True for the unit's commander and for its members with a supervisor or commander role.</summary>
    bool MayActForUnit(string personId, string unitId);

    /// <summary>A dispatcher may hand off cases held by a unit they dispatch for, or by one of its members.</summary>
    bool DispatchesFor(string personId, string unitId);

    /// <summary>The unit a person belongs to; null for an unknown person.</summary>
    string? UnitOf(string personId);

    /// <summary>Everyone who may act for the unit (<see cref="MayActForUnit"/>), active or not.</summary>
    IReadOnlyList<string> UnitActors(string unitId);

    /// <summary>The internal-affairs unit: its command takes a case nobody else may hold. Null when the department has none.</summary>
    string? InternalAffairsUnitId { get; }

    /// <summary>Internal-affairs command: the internal-affairs unit's commander, then its members with the commander role.</summary>
    IReadOnlyList<string> InternalAffairsCommand { get; }
}

/// <param name="MayInvestigate">Holds a role that works cases (investigator, supervisor or commander): only such a person may be handed a case.</param>
public sealed record DirectoryPerson(string Id, string Badge, bool IsActive, bool MayInvestigate);
