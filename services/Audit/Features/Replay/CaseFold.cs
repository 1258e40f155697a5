using System.Text.Json;

namespace Accountability.Audit.Features.Replay;

/// <summary>One recorded event of a case, as replay reads it from the trail.</summary>
public sealed record TrailEvent(long CaseSeq, long GlobalSeq, string Type, DateTimeOffset OccurredAt, JsonElement Body, string? TraceParent)
{
    public long CaseVersion => Body.TryGetProperty("caseVersion", out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;

    public string? Text(string property) =>
        Body.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

public sealed record OwnerView(string Kind, string Id);

public sealed record PendingHandoffView(Guid HandoffId, OwnerView From, OwnerView To, DateTimeOffset RequestedAt, string RequestedBy, string Reason);

public sealed record AllegationView(string Id, string Type, string OfficerBadge, string? Finding);

/// <summary>One interval of custody; <see cref="To"/> is null on the open one. Half-open [From, To).</summary>
public sealed record CustodyIntervalView(int Seq, OwnerView Owner, DateTimeOffset From, DateTimeOffset? To, string TransferKind, string Reason, string Actor);

/// <summary>The case as the trail tells it at some instant.</summary>
public sealed record CaseStateView
{
    public required Guid CaseId { get; init; }

    /// <summary>not-yet-received (asOf before the first event), received (intake only), open or resolved.</summary>
    public required string Status { get; init; }
    public OwnerView? Owner { get; init; }
    public PendingHandoffView? PendingHandoff { get; init; }
    public bool Acknowledged { get; init; }
    public bool ComplainantContacted { get; init; }
    public string? Category { get; init; }
    public string? District { get; init; }
    public IReadOnlyList<AllegationView> Allegations { get; init; } = [];
    public IReadOnlyList<CustodyIntervalView> Custody { get; init; } = [];

    /// <summary>How many recorded events went into this state, and the last one's instant.</summary>
    public int EventsApplied { get; init; }
    public DateTimeOffset? LastEventAt { get; init; }
}

/// <summary>One step of the trail, with who had the case once it happened.</summary>
public sealed record TrailStep(long Seq, long GlobalSeq, string Type, DateTimeOffset OccurredAt, long? CaseVersion, string? Actor, OwnerView? Owner, string? Reason, string? TraceId);

/// <summary>
/// Audit's own fold of a case's recorded events (it may not borrow assignment's decider). It is
/// tolerant where the decider is strict: the trail is evidence, so an event that does not fit
/// (an unknown handoff, a gap) is still shown in the trail and simply changes nothing it cannot.
/// Events are applied in causal order: by OccurredAt, then CaseVersion (the writer's own order for
/// events at one instant, e.g. HandoffAccepted then CustodyTransferred), then arrival (case_seq).
/// </summary>
public static class CaseFold
{
    public static IReadOnlyList<TrailEvent> CausalOrder(IEnumerable<TrailEvent> events) =>
        [.. events.OrderBy(e => e.OccurredAt).ThenBy(e => e.CaseVersion).ThenBy(e => e.CaseSeq)];

    public static CaseStateView StateAsOf(Guid caseId, IEnumerable<TrailEvent> events, DateTimeOffset? asOf = null)
    {
        var state = new Builder(caseId);
        foreach (var e in CausalOrder(events))
            if (asOf is null || e.OccurredAt <= asOf)
                state.Apply(e);
        return state.View();
    }

    public static IReadOnlyList<TrailStep> Trail(Guid caseId, IEnumerable<TrailEvent> events)
    {
        var state = new Builder(caseId);
        var steps = new List<TrailStep>();
        foreach (var e in CausalOrder(events))
        {
            state.Apply(e);
            steps.Add(new TrailStep(e.CaseSeq, e.GlobalSeq, e.Type, e.OccurredAt, e.Body.TryGetProperty("caseVersion", out _) ? e.CaseVersion : null,
                e.Text("actor"), state.Owner, e.Text("reason"), Recording.TraceParent.TraceId(e.TraceParent)));
        }
        return steps;
    }

    private sealed class Builder(Guid caseId)
    {
        private string status = "not-yet-received";
        private PendingHandoffView? pending;
        private bool acknowledged;
        private bool contacted;
        private string? category;
        private string? district;
        private List<AllegationView> allegations = [];
        private readonly List<CustodyIntervalView> custody = [];
        private int applied;
        private DateTimeOffset? lastEventAt;

        public OwnerView? Owner { get; private set; }

        public void Apply(TrailEvent e)
        {
            applied++;
            lastEventAt = e.OccurredAt;
            switch (e.Type)
            {
                case "ComplaintReceived":
                    if (status == "not-yet-received")
                        status = "received";
                    // The intake desk owns the case from receipt, until assignment's first transfer says otherwise.
                    if (custody.Count == 0 && e.Text("intakeDeskUnitId") is { } desk)
                        Owner = new OwnerView("unit", desk);
                    category ??= e.Text("category");
                    district ??= e.Text("district");
                    if (allegations.Count == 0)
                        allegations = [.. Array(e, "allegations").Select(a => new AllegationView(
                            Str(a, "allegationId") ?? "", Str(a, "type") ?? "", Str(a, "officerBadge") ?? "", null))];
                    break;
                case "CaseOpened":
                    if (status is "not-yet-received" or "received")
                        status = "open";
                    category = e.Text("category") ?? category;
                    district = e.Text("district") ?? district;
                    var findings = allegations.ToDictionary(a => a.Id, a => a.Finding);
                    allegations = [.. Array(e, "allegations").Select(a => new AllegationView(
                        Str(a, "id") ?? "", Str(a, "type") ?? "", Str(a, "officerBadge") ?? "", findings.GetValueOrDefault(Str(a, "id") ?? ""))) ];
                    break;
                case "CustodyTransferred":
                    var to = OwnerFrom(e, "toOwnerKind", "toOwnerId");
                    if (to is null)
                        break;
                    if (custody.Count > 0 && custody[^1].To is null)
                        custody[^1] = custody[^1] with { To = e.OccurredAt };
                    custody.Add(new CustodyIntervalView(custody.Count + 1, to, e.OccurredAt, null,
                        e.Text("transferKind") ?? "", e.Text("reason") ?? "", e.Text("actor") ?? ""));
                    Owner = to;
                    acknowledged = false;
                    if (status is "not-yet-received" or "received")
                        status = "open";
                    break;
                case "HandoffRequested":
                    if (Guid.TryParse(e.Text("handoffId"), out var handoffId) &&
                        OwnerFrom(e, "fromOwnerKind", "fromOwnerId") is { } from && OwnerFrom(e, "toOwnerKind", "toOwnerId") is { } receiver)
                        pending = new PendingHandoffView(handoffId, from, receiver, e.OccurredAt, e.Text("actor") ?? "", e.Text("reason") ?? "");
                    break;
                case "HandoffAccepted" or "HandoffDeclined" or "HandoffCancelled" or "HandoffExpired":
                    if (pending is not null && Guid.TryParse(e.Text("handoffId"), out var closed) && closed == pending.HandoffId)
                        pending = null;
                    break;
                case "CaseAcknowledged":
                    acknowledged = true;
                    break;
                case "ComplainantContacted":
                    contacted = true;
                    break;
                case "FindingsRecorded":
                    SetFinding(e.Text("allegationId"), e.Text("finding"));
                    break;
                case "AllegationAmended":
                    if (e.Body.TryGetProperty("allegation", out var amended) && amended.ValueKind == JsonValueKind.Object && Str(amended, "id") is { } amendedId)
                    {
                        var kept = allegations.FirstOrDefault(a => a.Id == amendedId);
                        var now = new AllegationView(amendedId, Str(amended, "type") ?? "", Str(amended, "officerBadge") ?? "", kept?.Finding);
                        allegations = kept is null ? [.. allegations, now] : [.. allegations.Select(a => a.Id == amendedId ? now : a)];
                    }
                    break;
                case "CaseResolved":
                    foreach (var finding in Array(e, "findings"))
                        SetFinding(Str(finding, "allegationId"), Str(finding, "finding"));
                    status = "resolved";
                    break;
                case "CaseReopened":
                    status = "open";
                    acknowledged = false;
                    break;
            }
        }

        public CaseStateView View() => new()
        {
            CaseId = caseId,
            Status = status,
            Owner = Owner,
            PendingHandoff = pending,
            Acknowledged = acknowledged,
            ComplainantContacted = contacted,
            Category = category,
            District = district,
            Allegations = [.. allegations],
            Custody = [.. custody],
            EventsApplied = applied,
            LastEventAt = lastEventAt,
        };

        private void SetFinding(string? allegationId, string? finding)
        {
            if (allegationId is null || finding is null)
                return;
            allegations = allegations.ConvertAll(a => a.Id == allegationId ? a with { Finding = finding } : a);
        }

        private static OwnerView? OwnerFrom(TrailEvent e, string kind, string id) =>
            e.Text(kind) is { } k && e.Text(id) is { } i ? new OwnerView(k, i) : null;

        private static IEnumerable<JsonElement> Array(TrailEvent e, string property) =>
            e.Body.TryGetProperty(property, out var list) && list.ValueKind == JsonValueKind.Array ? list.EnumerateArray() : [];

        private static string? Str(JsonElement element, string property) =>
            element.TryGetProperty(property, out var value) ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => value.GetRawText(),
            } : null;
    }
}
