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
}

public sealed record DirectoryPerson(string Id, string Badge, bool IsActive);
