using System.Security.Claims;
using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Custody;
using Accountability.Assignment.Features.Directory;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Assignment.Features.Access;

/// <summary>Whether a case exists for a reader: a withheld case answers like a missing one, but the log knows the difference.</summary>
public enum CaseVisibility
{
    Missing = 0,
    Withheld = 1,
    Visible = 2,
}

/// <summary>How much of a case a reader sees. The board shows no allegations, narrative or contact.</summary>
public enum CaseSight
{
    None,
    Board,
    Full,
}

/// <summary>
/// Need-to-know, for one reader: the facts the read queries need to decide, case by case, in one SQL predicate
/// (<see cref="CaseReaderSql.Visible"/>). The rule, as in the README's table:
/// <list type="bullet">
/// <item>never a subject officer of the complaint, or anyone in a subject officer's chain of command
/// (<see cref="ConflictBadges"/>): they get 404, whatever their role;</item>
/// <item>auditors and internal-affairs command see every other case in full;
/// a confidential case (<c>cases.confidential_team</c>) otherwise only its team, its owner and a pending handoff's receiver, in person;
/// dispatchers and admins see every other case as the board does;</item>
/// <item>everyone else sees a case in full only through a relationship: they own it, or are in its owner's
/// chain of command, or may act for the owning unit; they owned it within <see cref="PastOwnerSince"/>;
/// a pending handoff names them or a unit they act for; or they are intake staff and the desk owns it.</item>
/// </list>
/// </summary>
public sealed record CaseReader(
    string PersonId,
    CaseSight WithoutRelationship,
    IReadOnlyList<string> ConflictBadges,
    IReadOnlyList<string> People,
    IReadOnlyList<string> Units,
    string? IntakeDeskUnitId,
    DateTimeOffset PastOwnerSince)
{
    /// <summary>The reader as the directory in force knows them; <paramref name="user"/>'s roles are already narrowed to the directory's.</summary>
    public static CaseReader For(ClaimsPrincipal user, OrgChart chart, AccessOptions options, DateTimeOffset now)
    {
        var me = user.PersonId();
        var view = new OrgChartDirectoryView(chart);
        // Me and everyone below me: a case about any of them is one I may not see.
        var people = chart.People.Where(person => person.Id == me || chart.ChainOfCommand(person.Id).Any(above => above.Id == me)).ToList();
        var peopleIds = people.Select(person => person.Id).ToHashSet(StringComparer.Ordinal);
        var units = chart.Units
            .Where(unit => view.MayActForUnit(me, unit.Id) || peopleIds.Contains(unit.CommanderId))
            .Select(unit => unit.Id).ToList();

        var sight = CaseSight.None;
        if (user.IsInRole(Roles.Auditor) || view.InternalAffairsCommand.Contains(me))
            sight = CaseSight.Full;
        else if (user.IsInRole(Roles.Dispatcher) || user.IsInRole(Roles.Admin))
            sight = CaseSight.Board;

        return new CaseReader(
            me, sight,
            [.. people.Select(person => person.Badge.ToUpperInvariant())],
            [.. peopleIds],
            units,
            user.IsInRole(Roles.IntakeClerk) ? chart.IntakeDeskUnitId : null,
            now - options.PastOwnerAccess);
    }

    /// <summary>How much of one case this reader sees, given whether the SQL found a relationship.</summary>
    public CaseSight SightOf(bool related) => related ? CaseSight.Full : WithoutRelationship;

    /// <summary>The query parameters of <see cref="CaseReaderSql.Visible"/>.</summary>
    public object SqlParameters => new
    {
        ReaderId = PersonId,
        ReaderSeesAll = WithoutRelationship != CaseSight.None,
        ReaderSeesAllInFull = WithoutRelationship == CaseSight.Full,
        ReaderConflictBadges = ConflictBadges.ToArray(),
        ReaderPeople = People.ToArray(),
        ReaderUnits = Units.ToArray(),
        ReaderIntakeDesk = IntakeDeskUnitId,
        ReaderPastOwnerSince = PastOwnerSince,
    };
}

/// <summary>Need-to-know settings (section <c>Access</c>).</summary>
public sealed class AccessOptions
{
    public const string Section = "Access";

    /// <summary>How long someone who held a case may still read it after it left them (department policy). 90 days by default.</summary>
    public TimeSpan PastOwnerAccess { get; set; } = TimeSpan.FromDays(90);
}

/// <summary>The need-to-know rule as SQL over <c>cases c</c> left-joined to its pending handoff <c>h</c>.</summary>
public static class CaseReaderSql
{
    /// <summary>Whether the reader may see the case at all (the board or in full).</summary>
    public const string Visible =
        $"""
        (not (c.subject_badges && @ReaderConflictBadges::text[]) and (@ReaderSeesAll or {Related}))
        """;

    /// <summary>
    /// Whether the reader sees the case in full (with <see cref="Visible"/>): what only the full view shows, such as who
    /// the complaint is about, may be searched only here, or a dispatcher's search would tell them what the board hides.
    /// </summary>
    public const string Full = $"(@ReaderSeesAllInFull or {Related})";

    /// <summary>
    /// Whether the reader has a relationship to the case that shows it in full. A confidential case (issue 12) has a
    /// narrower one: its named team, its owner and a pending handoff's receiver, in person; not the owner's chain,
    /// past owners, the intake desk, nor whoever acts for a unit. Auditors and internal-affairs command see it anyway.
    /// </summary>
    public const string Related =
        $"""
        (case when c.confidential_team is null then {Ordinary} else {Confidential} end)
        """;

    /// <summary>Whether a case's category, district and deadlines are hidden from this reader: a confidential case seen only as the board sees it.</summary>
    public const string Masked = $"(c.confidential_team is not null and not {Full})";

    private const string Confidential =
        """
        (@ReaderId = any(c.confidential_team)
          or (c.owner_kind = 'person' and c.owner_id = @ReaderId)
          or (h.to_kind = 'person' and h.to_id = @ReaderId))
        """;

    private const string Ordinary =
        """
        ((c.owner_kind = 'person' and c.owner_id = any(@ReaderPeople::text[]))
          or (c.owner_kind = 'unit' and c.owner_id = any(@ReaderUnits::text[]))
          or (h.to_kind = 'person' and h.to_id = @ReaderId)
          or (h.to_kind = 'unit' and h.to_id = any(@ReaderUnits::text[]))
          or (c.owner_kind = 'unit' and c.owner_id = @ReaderIntakeDesk::text)
          or exists (select 1 from custody k where k.case_id = c.case_id and k.owner_kind = 'person' and k.owner_id = @ReaderId
                     and k.to_at is not null and k.to_at >= @ReaderPastOwnerSince::timestamptz))
        """;
}

/// <summary>Builds the <see cref="CaseReader"/> of a request from the directory in force.</summary>
public sealed class CaseReaders(DirectoryCache directory, Microsoft.Extensions.Options.IOptions<AccessOptions> options, TimeProvider time)
{
    public CaseReader For(ClaimsPrincipal user) => CaseReader.For(user, directory.Chart, options.Value, time.GetUtcNow());
}
