using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Access;
using Accountability.Messaging.Database;
using Dapper;

namespace Accountability.Assignment.Features.Cases;

public sealed record OwnerView(string Kind, string Id, string Name);

public sealed record PendingHandoffView(Guid HandoffId, string ToKind, string ToId, string ToName, string Reason, string RequestedBy, DateTimeOffset RequestedAt);

/// <summary>
/// How the last handoff since the owner took the case ended, when it ended without moving the case (declined or
/// expired), so the board can say so until custody next changes. <see cref="Reason"/> is the receiver's reason for a decline.
/// </summary>
public sealed record HandoffOutcomeView(string Outcome, string ToKind, string ToId, string ToName, string? Reason, string RequestedBy, string RequestedByName, DateTimeOffset At);

public sealed record AllegationView(string Id, string Type, string OfficerBadge, string? Finding, string? OfficerDescription = null);

/// <summary>A recorded contact with the complainant; <see cref="Method"/> is null for contacts recorded before it was asked for.</summary>
public sealed record ContactView(string? Method, string? Note, string Actor, string ActorName, DateTimeOffset At);

/// <summary>How a resolved case was closed: the note the resolver wrote (what was found and done), by whom and when.</summary>
public sealed record ResolutionView(string Note, string ResolvedBy, string ResolvedByName, DateTimeOffset ResolvedAt);

/// <summary>One person on a confidential case's team.</summary>
public sealed record TeamMemberView(string Id, string Name);

/// <summary>Why a case is confidential and who may see it: for those who see it in full only.</summary>
public sealed record ConfidentialityView(IReadOnlyList<TeamMemberView> Team, string Reason, string MarkedBy, string MarkedByName, DateTimeOffset MarkedAt);

/// <summary>
/// A case as a reader may see it. <see cref="Contacts"/> only in a single case's full view (null in lists and the board's view).
/// A confidential case seen as the board sees it has "confidential" for its category and district, and never shows overdue;
/// <see cref="Confidentiality"/> (team, reason) only in the full view. <see cref="OwnedSince"/> is when the owner took it
/// (the open custody interval), so a list answers "whose, since when" without a request per case. <see cref="Masked"/> says that
/// this reader sees a confidential case only as the board does: the services that ask assignment for sight (escalation's clocks
/// and escalations) hide what would tell the masked details. <see cref="Resolution"/>: the resolution note of a resolved case, in
/// the full view only (it is free text about the complaint, as the allegations are).
/// </summary>
public sealed record CaseView(
    Guid CaseId, string Status, OwnerView Owner, string UnitId, string Category, string? District,
    bool Acknowledged, bool Contacted, bool Overdue, IReadOnlyList<AllegationView> Allegations, PendingHandoffView? PendingHandoff, DateTimeOffset ReceivedAt, DateTimeOffset UpdatedAt, long CaseVersion,
    string Access, string? CaseNumber, IReadOnlyList<ContactView>? Contacts = null, bool Confidential = false, ConfidentialityView? Confidentiality = null,
    DateTimeOffset? OwnedSince = null, bool Masked = false, ResolutionView? Resolution = null, HandoffOutcomeView? LastHandoffOutcome = null);

/// <summary>One custody interval. <see cref="Actor"/> made the move; <see cref="ReasonBy"/> wrote the reason (for a handoff, who asked for it).</summary>
public sealed record CustodyIntervalView(
    int Seq, string OwnerKind, string OwnerId, string OwnerName, DateTimeOffset From, DateTimeOffset? To, string TransferKind, string Reason, string Actor,
    string ReasonBy);

/// <summary>
/// What GET /api/cases narrows by; null means any. Each is an exact match. <see cref="OfficerBadges"/> matches a case
/// with any of them among its subjects, and only where the reader sees the case in full; <see cref="CaseIds"/> is a set
/// found elsewhere (intake's search by tracking code or complainant).
/// </summary>
public sealed record CaseFilter(
    string? OwnerId = null, string? UnitId = null, string? Status = null, bool? Overdue = null, string? Category = null, string? District = null,
    string? Number = null, IReadOnlyList<string>? OfficerBadges = null, IReadOnlyList<Guid>? CaseIds = null);

/// <summary>The orders of GET /api/cases.</summary>
public static class CaseSorts
{
    /// <summary>Newest first (the default).</summary>
    public const string Newest = "newest";

    /// <summary>
    /// Most urgent first, by what assignment knows: open cases with a breached clock (longest overdue first), then the
    /// other open cases oldest first (their resolution and statutory clocks run from receipt), then resolved ones.
    /// The exact next deadline is escalation's; the console orders each page by it.
    /// </summary>
    public const string Urgency = "urgency";

    public static readonly IReadOnlyList<string> All = [Newest, Urgency];
}

/// <summary>The read side of cases, straight from the projections.</summary>
public sealed class CaseQueries(ServiceDatabase database, DirectoryCache directory)
{
    /// <summary>The cases the reader may see (need-to-know), each as much as they may see of it.</summary>
    /// <param name="after">
    /// In the newest-first order only: list the cases that come after this one, so a client paging through every case reads
    /// each page through the cases_newest index, at the cost of the page alone.
    /// </param>
    public async Task<IReadOnlyList<CaseView>> ListAsync(
        CaseFilter filter, CaseReader reader, int limit, int offset, CancellationToken ct, string sort = CaseSorts.Newest, Guid? after = null)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var parameters = new DynamicParameters(new
        {
            filter.OwnerId, filter.UnitId, filter.Status, filter.Overdue, filter.Category, filter.District, filter.Number,
            OfficerBadges = filter.OfficerBadges?.ToArray(), CaseIds = filter.CaseIds?.ToArray(), limit, offset, after,
        });
        parameters.AddDynamicParams(reader.SqlParameters);
        // Planned for this call's values, not once for all: every filter is "@x is null or ...", so the plan PostgreSQL
        // keeps for a prepared statement (its generic plan) expects one row, joins and sorts every case instead of reading
        // the newest-first index for one page: 114 ms against 5 ms for a page of 500 over 16,000 cases (docs/bench.md,
        // twenty-ninth round). SET LOCAL ends with the transaction, so the pooled connection keeps the server's default.
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("set local plan_cache_mode = force_custom_plan", transaction: transaction, cancellationToken: ct));
        var rows = await connection.QueryAsync<CaseRow>(new CommandDefinition(
            $"""
            {SelectCases}
            where {CaseReaderSql.Visible}
              and (@OwnerId::text is null or c.owner_id = @OwnerId)
              and (@UnitId::text is null or c.unit_id = @UnitId)
              and (@Status::text is null or c.status = @Status)
              and (@Overdue::boolean is null or (@Overdue = exists (select 1 from case_breaches b where b.case_id = c.case_id and b.cleared_at is null) and not {CaseReaderSql.Masked}))
              and (@Category::text is null or (c.category = @Category and not {CaseReaderSql.Masked}))
              and (@District::text is null or (c.district = @District and not {CaseReaderSql.Masked}))
              and (@Number::text is null or c.case_number = upper(@Number))
              and (@OfficerBadges::text[] is null or (c.subject_badges && @OfficerBadges::text[] and {CaseReaderSql.Full}))
              and (@CaseIds::uuid[] is null or c.case_id = any(@CaseIds::uuid[]))
              {(after is null ? "" : AfterCursor)}
            order by {(sort == CaseSorts.Urgency ? UrgencyOrder : "c.received_at desc")}, c.case_id
            limit @limit offset @offset
            """, parameters, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return rows.Select(row => ToView(row, reader.SightOf(row.related))).ToList();
    }

    // In the SQL only when given: a bound the planner can see (received_at <= the cursor's) starts the index scan at the cursor,
    // where "@after is null or ..." would leave a generic plan scanning from the newest case.
    private const string AfterCursor =
        """
        and c.received_at <= (select p.received_at from cases p where p.case_id = @after)
        and (c.received_at < (select p.received_at from cases p where p.case_id = @after) or c.case_id > @after)
        """;

    /// <summary>The case as the reader may see it; null when there is no such case or they may not see it (both answer 404).</summary>
    public async Task<CaseView?> FindAsync(Guid caseId, CaseReader reader, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var parameters = new DynamicParameters(new { caseId });
        parameters.AddDynamicParams(reader.SqlParameters);
        var row = await connection.QuerySingleOrDefaultAsync<CaseRow>(new CommandDefinition(
            $"{SelectCases} where c.case_id = @caseId and {CaseReaderSql.Visible}", parameters, cancellationToken: ct));
        if (row is null)
            return null;
        var view = ToView(row, reader.SightOf(row.related));
        if (view.Access != "full")
            return view;
        // What was said to the complainant is for those who work the case, as the allegations are.
        var contacts = await connection.QueryAsync<(string? Method, string? Note, string Actor, DateTime OccurredAt)>(new CommandDefinition(
            "select method, note, actor, occurred_at from case_contacts where case_id = @caseId order by occurred_at, case_version",
            new { caseId }, cancellationToken: ct));
        return view with
        {
            Contacts = [.. contacts.Select(c => new ContactView(c.Method, c.Note, c.Actor, NameOf("person", c.Actor), Utc(c.OccurredAt)))],
        };
    }

    /// <summary>Whether there is such a case, and whether the reader may see it: one query, before a command or a custody read.</summary>
    public async Task<CaseVisibility> VisibilityAsync(Guid caseId, CaseReader reader, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var parameters = new DynamicParameters(new { caseId });
        parameters.AddDynamicParams(reader.SqlParameters);
        return (CaseVisibility)await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"""
            select coalesce((select case when {CaseReaderSql.Visible} then 2 else 1 end
                             from cases c left join handoffs h on h.handoff_id = c.pending_handoff_id
                             where c.case_id = @caseId), 0)
            """, parameters, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<CustodyIntervalView>> CustodyAsync(Guid caseId, DateTimeOffset? at, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(int Seq, string OwnerKind, string OwnerId, DateTime FromAt, DateTime? ToAt, string TransferKind, string Reason, string Actor, string ReasonBy)>(
            new CommandDefinition(
                """
                select k.seq, k.owner_kind, k.owner_id, k.from_at, k.to_at, k.transfer_kind, k.reason, k.actor, coalesce(h.requested_by, k.actor)
                from custody k left join handoffs h on h.handoff_id = k.handoff_id
                where k.case_id = @caseId and (@at::timestamptz is null or tstzrange(k.from_at, k.to_at, '[)') @> @at::timestamptz)
                order by k.seq
                """, new { caseId, at }, cancellationToken: ct));
        return rows.Select(r => new CustodyIntervalView(r.Seq, r.OwnerKind, r.OwnerId, NameOf(r.OwnerKind, r.OwnerId),
            Utc(r.FromAt), r.ToAt is { } to ? Utc(to) : null, r.TransferKind, r.Reason, r.Actor, r.ReasonBy)).ToList();
    }

    public async Task<Guid?> CaseOfHandoffAsync(Guid handoffId, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "select case_id from handoffs where handoff_id = @handoffId", new { handoffId }, cancellationToken: ct));
    }

    /// <summary>Handoffs waiting for this person: addressed to them, or to a unit they may act for.</summary>
    /// <summary>What a handoff card shows: the case's number and category with the offer, so the receiver can decide.</summary>
    public async Task<IReadOnlyList<(Guid CaseId, string? CaseNumber, string Category, string? District, PendingHandoffView Handoff)>> HandoffsAwaitingAsync(
        string personId, IReadOnlyList<string> unitIds, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid CaseId, string? CaseNumber, string Category, string? District, Guid HandoffId, string ToKind, string ToId, string Reason, string RequestedBy, DateTime RequestedAt)>(
            new CommandDefinition(
                """
                select h.case_id, c.case_number, c.category, c.district, h.handoff_id, h.to_kind, h.to_id, h.reason, h.requested_by, h.requested_at
                from handoffs h join cases c on c.case_id = h.case_id
                where h.state = 'pending' and ((h.to_kind = 'person' and h.to_id = @personId) or (h.to_kind = 'unit' and h.to_id = any(@unitIds)))
                order by h.requested_at
                """, new { personId, unitIds = unitIds.ToArray() }, cancellationToken: ct));
        return rows.Select(r => (r.CaseId, r.CaseNumber, r.Category, r.District,
            new PendingHandoffView(r.HandoffId, r.ToKind, r.ToId, NameOf(r.ToKind, r.ToId), r.Reason, r.RequestedBy, Utc(r.RequestedAt)))).ToList();
    }

    // A masked case sorts as one with no breach: its place in the order must not tell a dispatcher its deadlines.
    private const string UrgencyOrder =
        $"""
        c.status = 'resolved',
        (select min(b.due_at) from case_breaches b where b.case_id = c.case_id and b.cleared_at is null and not {CaseReaderSql.Masked}) asc nulls last,
        c.received_at asc
        """;

    private const string SelectCases =
        $"""
        select c.case_id, c.case_number, c.status, c.owner_kind, c.owner_id, c.unit_id, c.category, c.district, c.acknowledged, c.contacted,
               c.received_at, c.updated_at, c.version,
               own.from_at as owned_since,
               exists (select 1 from case_breaches b where b.case_id = c.case_id and b.cleared_at is null) as overdue,
               c.allegations::text as allegations,
               h.handoff_id, h.to_kind, h.to_id, h.reason as handoff_reason, h.requested_by, h.requested_at,
               {CaseReaderSql.Related} as related,
               array_to_json(c.confidential_team)::text as confidential_team, c.confidential_reason, c.confidential_by, c.confidential_at,
               c.resolution_note, c.resolved_by, c.resolved_at,
               lh.state as last_handoff_state, lh.to_kind as last_handoff_to_kind, lh.to_id as last_handoff_to_id,
               lh.decision_reason as last_handoff_reason, lh.requested_by as last_handoff_requested_by, lh.decided_at as last_handoff_at
        from cases c left join handoffs h on h.handoff_id = c.pending_handoff_id
        -- The open custody interval, read once: "owned since", and where the last answered handoff is looked for.
        left join lateral (select k.from_at from custody k where k.case_id = c.case_id and k.to_at is null) own on true
        -- The last handoff answered since the owner took the case; one that was accepted moved custody, so it never qualifies.
        left join lateral (
            select x.state, x.to_kind, x.to_id, x.decision_reason, x.requested_by, x.decided_at
            from handoffs x
            where x.case_id = c.case_id and x.decided_at >= own.from_at
            order by x.decided_at desc
            limit 1) lh on true
        """;

    /// <summary>What a board-only reader sees of a confidential case's category and district.</summary>
    public const string ConfidentialMask = "confidential";

    // The board's view carries no allegations: they name officers, which a dispatcher does not need.
    // Of a confidential case it carries only the number, owner and status (issue 12).
    private CaseView ToView(CaseRow r, CaseSight sight)
    {
        var confidential = r.confidential_team is not null;
        var masked = confidential && sight != CaseSight.Full;
        return new(
        r.case_id, r.status, new OwnerView(r.owner_kind, r.owner_id, NameOf(r.owner_kind, r.owner_id)), r.unit_id,
        masked ? ConfidentialMask : r.category, masked ? ConfidentialMask : r.district,
        r.acknowledged, r.contacted, r.overdue && !masked,
        sight == CaseSight.Full ? System.Text.Json.JsonSerializer.Deserialize<List<AllegationView>>(r.allegations, System.Text.Json.JsonSerializerOptions.Web) ?? [] : [],
        r.handoff_id is { } handoffId
            ? new PendingHandoffView(handoffId, r.to_kind!, r.to_id!, NameOf(r.to_kind!, r.to_id!), r.handoff_reason!, r.requested_by!, Utc(r.requested_at!.Value))
            : null,
        Utc(r.received_at), Utc(r.updated_at), r.version, sight == CaseSight.Full ? "full" : "board", r.case_number,
        Confidential: confidential,
        Confidentiality: confidential && sight == CaseSight.Full
            ? new ConfidentialityView([.. (System.Text.Json.JsonSerializer.Deserialize<string[]>(r.confidential_team!) ?? []).Select(id => new TeamMemberView(id, NameOf("person", id)))],
                r.confidential_reason ?? "", r.confidential_by ?? "", NameOf("person", r.confidential_by ?? ""), Utc(r.confidential_at!.Value))
            : null,
        OwnedSince: r.owned_since is { } since ? Utc(since) : null,
        Masked: masked,
        Resolution: sight == CaseSight.Full && r.resolution_note is { } note
            ? new ResolutionView(note, r.resolved_by ?? "", NameOf("person", r.resolved_by ?? ""), Utc(r.resolved_at!.Value))
            : null,
        LastHandoffOutcome: r.handoff_id is null && r.last_handoff_state is ("declined" or "expired") && r.last_handoff_at is { } decidedAt
            ? new HandoffOutcomeView(r.last_handoff_state, r.last_handoff_to_kind!, r.last_handoff_to_id!, NameOf(r.last_handoff_to_kind!, r.last_handoff_to_id!),
                masked ? null : r.last_handoff_reason, r.last_handoff_requested_by!, NameOf("person", r.last_handoff_requested_by!), Utc(decidedAt))
            : null);
    }

    private string NameOf(string kind, string id) =>
        (kind == "person" ? directory.Chart.FindPerson(id)?.Name : directory.Chart.FindUnit(id)?.Name) ?? id;

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    // Column names as PostgreSQL returns them, so Dapper maps without aliases.
    private sealed record CaseRow(
        Guid case_id, string? case_number, string status, string owner_kind, string owner_id, string unit_id, string category, string? district,
        bool acknowledged, bool contacted, DateTime received_at, DateTime updated_at, long version, DateTime? owned_since, bool overdue, string allegations,
        Guid? handoff_id, string? to_kind, string? to_id, string? handoff_reason, string? requested_by, DateTime? requested_at, bool related,
        string? confidential_team, string? confidential_reason, string? confidential_by, DateTime? confidential_at,
        string? resolution_note, string? resolved_by, DateTime? resolved_at,
        string? last_handoff_state, string? last_handoff_to_kind, string? last_handoff_to_id, string? last_handoff_reason, string? last_handoff_requested_by,
        DateTime? last_handoff_at);
}
