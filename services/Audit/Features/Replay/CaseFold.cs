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

/// <summary>A recorded contact with the complainant; <see cref="Method"/> is null on events from before it was asked for.</summary>
public sealed record ContactView(DateTimeOffset At, string Actor, string? Method, string? Note);

/// <summary>A confidential case's team as the trail tells it: who decided it, when and why.</summary>
public sealed record ConfidentialityView(IReadOnlyList<string> Team, string Reason, string MarkedBy, DateTimeOffset MarkedAt);

/// <summary>One interval of custody; <see cref="To"/> is null on the open one. Half-open [From, To).</summary>
public sealed record CustodyIntervalView(int Seq, OwnerView Owner, DateTimeOffset From, DateTimeOffset? To, string TransferKind, string Reason, string Actor);

/// <summary>The case as the trail tells it at some instant.</summary>
public sealed record CaseStateView
{
    public required Guid CaseId { get; init; }

    /// <summary>not-yet-received (asOf before the first event), received (intake only), open or resolved.</summary>
    public required string Status { get; init; }

    /// <summary>The human number (IA-2026-00042) from the receipt; null before it or for cases filed before numbers existed.</summary>
    public string? CaseNumber { get; init; }
    public OwnerView? Owner { get; init; }
    public PendingHandoffView? PendingHandoff { get; init; }
    public bool Acknowledged { get; init; }
    public bool ComplainantContacted { get; init; }
    public string? Category { get; init; }
    public string? District { get; init; }
    public IReadOnlyList<AllegationView> Allegations { get; init; } = [];
    public IReadOnlyList<CustodyIntervalView> Custody { get; init; } = [];
    public IReadOnlyList<ContactView> Contacts { get; init; } = [];

    /// <summary>Null unless the case was confidential at that instant (issue 12).</summary>
    public ConfidentialityView? Confidentiality { get; init; }

    /// <summary>How many recorded events went into this state, and the last one's instant.</summary>
    public int EventsApplied { get; init; }
    public DateTimeOffset? LastEventAt { get; init; }
}

/// <summary>Where a case's fold stands in causal order: the last applied event's instant and case version.</summary>
public sealed record CausalPosition(DateTimeOffset OccurredAt, long CaseVersion)
{
    public static readonly CausalPosition Start = new(DateTimeOffset.MinValue, long.MinValue);

    /// <summary>True when <paramref name="e"/> sorts after this position (a later arrival breaks a tie, as in <see cref="CaseFold.CausalOrder"/>).</summary>
    public bool Precedes(TrailEvent e) => e.OccurredAt > OccurredAt || (e.OccurredAt == OccurredAt && e.CaseVersion >= CaseVersion);
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

    /// <summary>
    /// Folds <paramref name="newer"/> onto a state folded earlier, when every one of them comes after
    /// the last event that state applied in causal order; otherwise null, and the caller folds the
    /// whole case again. Equal to <see cref="StateAsOf"/> over all the events whenever it answers.
    /// </summary>
    public static CaseStateView? Continue(CaseStateView state, CausalPosition last, IEnumerable<TrailEvent> newer)
    {
        var ordered = CausalOrder(newer);
        if (ordered.Any(e => !last.Precedes(e)))
            return null;
        var builder = Builder.From(state);
        foreach (var e in ordered)
            builder.Apply(e);
        return builder.View();
    }

    /// <summary>Where the causally last of <paramref name="events"/> stands.</summary>
    public static CausalPosition LastPosition(IEnumerable<TrailEvent> events) =>
        CausalOrder(events) is { Count: > 0 } ordered ? new CausalPosition(ordered[^1].OccurredAt, ordered[^1].CaseVersion) : CausalPosition.Start;

    public static IReadOnlyList<TrailStep> Trail(Guid caseId, IEnumerable<TrailEvent> events)
    {
        var state = new Builder(caseId);
        var steps = new List<TrailStep>();
        foreach (var e in CausalOrder(events))
        {
            state.Apply(e);
            steps.Add(new TrailStep(e.CaseSeq, e.GlobalSeq, e.Type, e.OccurredAt, e.Body.TryGetProperty("caseVersion", out _) ? e.CaseVersion : null,
                e.Text("actor"), state.Owner, StepReason(e), Recording.TraceParent.TraceId(e.TraceParent)));
        }
        return steps;
    }

    /// <summary>What a step says in the trail: its reason, or for a contact how it was made and what was said.</summary>
    private static string? StepReason(TrailEvent e) =>
        e.Type == "ComplainantContacted" && e.Text("method") is { } method
            ? string.IsNullOrWhiteSpace(e.Text("note")) ? $"by {method}" : $"by {method}: {e.Text("note")}"
            : e.Text("reason");

    private sealed class Builder(Guid caseId)
    {
        /// <summary>A builder holding exactly what <paramref name="view"/> says: the view carries every field Apply reads.</summary>
        public static Builder From(CaseStateView view) => new(view.CaseId)
        {
            status = view.Status,
            pending = view.PendingHandoff,
            acknowledged = view.Acknowledged,
            contacted = view.ComplainantContacted,
            caseNumber = view.CaseNumber,
            category = view.Category,
            district = view.District,
            allegations = [.. view.Allegations],
            custodyList = [.. view.Custody],
            contactList = [.. view.Contacts],
            confidentiality = view.Confidentiality,
            applied = view.EventsApplied,
            lastEventAt = view.LastEventAt,
            Owner = view.Owner,
        };

        private string status = "not-yet-received";
        private PendingHandoffView? pending;
        private bool acknowledged;
        private bool contacted;
        private string? caseNumber;
        private string? category;
        private string? district;
        private List<AllegationView> allegations = [];
        private List<CustodyIntervalView> custodyList = [];
        private List<ContactView> contactList = [];
        private ConfidentialityView? confidentiality;
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
                    if (custodyList.Count == 0 && e.Text("intakeDeskUnitId") is { } desk)
                        Owner = new OwnerView("unit", desk);
                    caseNumber ??= e.Text("caseNumber");
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
                    if (custodyList.Count > 0 && custodyList[^1].To is null)
                        custodyList[^1] = custodyList[^1] with { To = e.OccurredAt };
                    custodyList.Add(new CustodyIntervalView(custodyList.Count + 1, to, e.OccurredAt, null,
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
                    contactList.Add(new ContactView(e.OccurredAt, e.Text("actor") ?? "", e.Text("method"), e.Text("note")));
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
                case "CaseMarkedConfidential":
                    confidentiality = new ConfidentialityView(
                        [.. Array(e, "team").Select(member => member.ValueKind == JsonValueKind.String ? member.GetString() : null).OfType<string>()],
                        e.Text("reason") ?? "", e.Text("actor") ?? "", e.OccurredAt);
                    break;
                case "CaseConfidentialityLifted":
                    confidentiality = null;
                    break;
            }
        }

        public CaseStateView View() => new()
        {
            CaseId = caseId,
            Status = status,
            CaseNumber = caseNumber,
            Owner = Owner,
            PendingHandoff = pending,
            Acknowledged = acknowledged,
            ComplainantContacted = contacted,
            Category = category,
            District = district,
            Allegations = [.. allegations],
            Custody = [.. custodyList],
            Contacts = [.. contactList],
            Confidentiality = confidentiality,
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
