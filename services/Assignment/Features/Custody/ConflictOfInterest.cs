namespace Accountability.Assignment.Features.Custody;

/// <summary>
/// The one conflict-of-interest rule, for every path (routing, handoff, escalation, reassignment, reopen,
/// every action and every read): a subject officer of the complaint, and anyone in a subject officer's
/// chain of command, may neither hold the case, nor act on it, nor see it. A unit is conflicted when a
/// subject officer is a member or when anyone who may act for it is conflicted: handing the case to
/// the subject's own unit is handing it to the subject.
/// </summary>
public sealed class ConflictOfInterest
{
    private readonly IDirectoryView directory;
    private readonly HashSet<string> conflictedPeople = new(StringComparer.Ordinal);
    private readonly List<string> subjectIds = [];

    public ConflictOfInterest(IDirectoryView directory, IEnumerable<string> subjectOfficerBadges)
    {
        this.directory = directory;
        foreach (var badge in subjectOfficerBadges)
        {
            if (directory.FindPersonIdByBadge(badge) is not { } subjectId)
                continue;
            subjectIds.Add(subjectId);
            conflictedPeople.Add(subjectId);
            conflictedPeople.UnionWith(directory.ChainOfCommand(subjectId));
        }
    }

    public bool IsConflicted(string personId) => conflictedPeople.Contains(personId);

    public bool IsConflicted(CaseOwner owner) => owner.IsPerson ? IsConflicted(owner.Id) : IsUnitConflicted(owner.Id);

    public bool IsUnitConflicted(string unitId) =>
        subjectIds.Any(subjectId => directory.IsMemberOfUnit(subjectId, unitId))
        || directory.UnitActors(unitId).Any(IsConflicted);

    /// <summary>Why the person is conflicted, for a refusal; null when they are not.</summary>
    public string? Explain(string personId)
    {
        if (!IsConflicted(personId))
            return null;
        var badge = directory.FindPerson(personId)?.Badge;
        return subjectIds.Contains(personId)
            ? $"{personId} (badge {badge}) is a subject officer of this complaint."
            : $"{personId} is in the chain of command of a subject officer of this complaint.";
    }

    /// <summary>
    /// Who holds a case that nobody else eligible may hold: internal-affairs command (its commander
    /// first), else the internal-affairs unit itself, as long as they are not conflicted. Null when
    /// even internal affairs is conflicted.
    /// </summary>
    public CaseOwner? InternalAffairsCommand()
    {
        if (directory.InternalAffairsUnitId is not { } unitId)
            return null;
        var person = directory.InternalAffairsCommand
            .FirstOrDefault(id => !IsConflicted(id) && directory.FindPerson(id) is { IsActive: true });
        if (person is not null)
            return CaseOwner.Person(person);
        return IsUnitConflicted(unitId) ? null : CaseOwner.Unit(unitId);
    }

    /// <summary>Internal-affairs command may always take a case back (reassign, reopen), unless conflicted.</summary>
    public bool IsInternalAffairsCommand(string personId) =>
        directory.InternalAffairsCommand.Contains(personId) && !IsConflicted(personId);
}
