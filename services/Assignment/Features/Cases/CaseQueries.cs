using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Access;
using Accountability.Messaging.Database;
using Dapper;

namespace Accountability.Assignment.Features.Cases;

public sealed record OwnerView(string Kind, string Id, string Name);

public sealed record PendingHandoffView(Guid HandoffId, string ToKind, string ToId, string ToName, string Reason, string RequestedBy, DateTimeOffset RequestedAt);

public sealed record AllegationView(string Id, string Type, string OfficerBadge, string? Finding, string? OfficerDescription = null);

public sealed record CaseView(
    Guid CaseId, string Status, OwnerView Owner, string UnitId, string Category, string? District,
    bool Acknowledged, bool Contacted, bool Overdue, IReadOnlyList<AllegationView> Allegations, PendingHandoffView? PendingHandoff, DateTimeOffset ReceivedAt, DateTimeOffset UpdatedAt, long CaseVersion,
    string Access, string? CaseNumber);

/// <summary>One custody interval. <see cref="Actor"/> made the move; <see cref="ReasonBy"/> wrote the reason (for a handoff, who asked for it).</summary>
public sealed record CustodyIntervalView(
    int Seq, string OwnerKind, string OwnerId, string OwnerName, DateTimeOffset From, DateTimeOffset? To, string TransferKind, string Reason, string Actor,
    string ReasonBy);

/// <summary>What GET /api/cases narrows by; null means any. Each is an exact match.</summary>
public sealed record CaseFilter(
    string? OwnerId = null, string? UnitId = null, string? Status = null, bool? Overdue = null, string? Category = null, string? District = null,
    string? Number = null);

/// <summary>The read side of cases, straight from the projections.</summary>
public sealed class CaseQueries(ServiceDatabase database, DirectoryCache directory)
{
    /// <summary>The cases the reader may see (need-to-know), each as much as they may see of it.</summary>
    public async Task<IReadOnlyList<CaseView>> ListAsync(CaseFilter filter, CaseReader reader, int limit, int offset, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var parameters = new DynamicParameters(new { filter.OwnerId, filter.UnitId, filter.Status, filter.Overdue, filter.Category, filter.District, filter.Number, limit, offset });
        parameters.AddDynamicParams(reader.SqlParameters);
        var rows = await connection.QueryAsync<CaseRow>(new CommandDefinition(
            $"""
            {SelectCases}
            where {CaseReaderSql.Visible}
              and (@OwnerId::text is null or c.owner_id = @OwnerId)
              and (@UnitId::text is null or c.unit_id = @UnitId)
              and (@Status::text is null or c.status = @Status)
              and (@Overdue::boolean is null or @Overdue = exists (select 1 from case_breaches b where b.case_id = c.case_id and b.cleared_at is null))
              and (@Category::text is null or c.category = @Category)
              and (@District::text is null or c.district = @District)
              and (@Number::text is null or c.case_number = upper(@Number))
            order by c.received_at desc, c.case_id
            limit @limit offset @offset
            """, parameters, cancellationToken: ct));
        return rows.Select(row => ToView(row, reader.SightOf(row.related))).ToList();
    }

    /// <summary>The case as the reader may see it; null when there is no such case or they may not see it (both answer 404).</summary>
    public async Task<CaseView?> FindAsync(Guid caseId, CaseReader reader, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        var parameters = new DynamicParameters(new { caseId });
        parameters.AddDynamicParams(reader.SqlParameters);
        var row = await connection.QuerySingleOrDefaultAsync<CaseRow>(new CommandDefinition(
            $"{SelectCases} where c.case_id = @caseId and {CaseReaderSql.Visible}", parameters, cancellationToken: ct));
        return row is null ? null : ToView(row, reader.SightOf(row.related));
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

    private const string SelectCases =
        $"""
        select c.case_id, c.case_number, c.status, c.owner_kind, c.owner_id, c.unit_id, c.category, c.district, c.acknowledged, c.contacted,
               c.received_at, c.updated_at, c.version,
               exists (select 1 from case_breaches b where b.case_id = c.case_id and b.cleared_at is null) as overdue,
               c.allegations::text as allegations,
               h.handoff_id, h.to_kind, h.to_id, h.reason as handoff_reason, h.requested_by, h.requested_at,
               {CaseReaderSql.Related} as related
        from cases c left join handoffs h on h.handoff_id = c.pending_handoff_id
        """;

    // The board's view carries no allegations: they name officers, which a dispatcher does not need.
    private CaseView ToView(CaseRow r, CaseSight sight) => new(
        r.case_id, r.status, new OwnerView(r.owner_kind, r.owner_id, NameOf(r.owner_kind, r.owner_id)), r.unit_id, r.category, r.district,
        r.acknowledged, r.contacted, r.overdue,
        sight == CaseSight.Full ? System.Text.Json.JsonSerializer.Deserialize<List<AllegationView>>(r.allegations, System.Text.Json.JsonSerializerOptions.Web) ?? [] : [],
        r.handoff_id is { } handoffId
            ? new PendingHandoffView(handoffId, r.to_kind!, r.to_id!, NameOf(r.to_kind!, r.to_id!), r.handoff_reason!, r.requested_by!, Utc(r.requested_at!.Value))
            : null,
        Utc(r.received_at), Utc(r.updated_at), r.version, sight == CaseSight.Full ? "full" : "board", r.case_number);

    private string NameOf(string kind, string id) =>
        (kind == "person" ? directory.Chart.FindPerson(id)?.Name : directory.Chart.FindUnit(id)?.Name) ?? id;

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    // Column names as PostgreSQL returns them, so Dapper maps without aliases.
    private sealed record CaseRow(
        Guid case_id, string? case_number, string status, string owner_kind, string owner_id, string unit_id, string category, string? district,
        bool acknowledged, bool contacted, DateTime received_at, DateTime updated_at, long version, bool overdue, string allegations,
        Guid? handoff_id, string? to_kind, string? to_id, string? handoff_reason, string? requested_by, DateTime? requested_at, bool related);
}
