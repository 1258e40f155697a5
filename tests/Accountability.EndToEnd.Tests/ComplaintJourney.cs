using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using Accountability.EndToEnd.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Accountability.TestSupport.Smtp;
using Xunit;

namespace Accountability.EndToEnd.Tests;

/// <summary>
/// Scenario 1, walked once: a complaint from filing to resolution and back, through every service, as
/// the people involved would do it over HTTP, and as the complainant reads it in their mail. Each step
/// checks what it must before the next one starts; what the walk produced is kept for the scenarios
/// that look back at it (the custody timeline, the audit trail).
/// </summary>
public sealed partial class ComplaintJourney
{
    /// <summary>Samuel Osei's badge in the sample department; read back from the directory, never assumed.</summary>
    public const string SubjectBadge = "1207";

    private readonly AccountabilitySystem system;
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private readonly List<string> steps = [];

    private ComplaintJourney(AccountabilitySystem system) => this.system = system;

    public Guid CaseId { get; private set; }

    public string TrackingCode { get; private set; } = "";

    public string ComplainantEmail { get; } = $"dana-{Guid.NewGuid():N}@complainant.example";

    public Person Clerk { get; private set; } = null!;

    public Person Subject { get; private set; } = null!;

    /// <summary>The investigator routing chose.</summary>
    public Person RoutedTo { get; private set; } = null!;

    /// <summary>Asked first, and declined.</summary>
    public Person Decliner { get; private set; } = null!;

    /// <summary>Asked second, and accepted; then did not acknowledge, so the case was escalated.</summary>
    public Person Receiver { get; private set; } = null!;

    /// <summary>The receiver's supervisor, who got the case by escalation and finished it.</summary>
    public Person Supervisor { get; private set; } = null!;

    /// <summary>The public status page once the case was assigned, and the name of the unit it should show.</summary>
    public JsonElement PublicStatusWhileAssigned { get; private set; }

    public string RoutedUnitName { get; private set; } = "";

    public IReadOnlyList<string> AllegationIds { get; private set; } = [];

    public ReceivedMail Receipt { get; private set; } = null!;

    public ReceivedMail Resolution { get; private set; } = null!;

    /// <summary>Assignment's custody timeline at the end of the walk.</summary>
    public JsonElement Custody { get; private set; }

    /// <summary>Each step with the seconds since the walk began, for the test output.</summary>
    public IReadOnlyList<string> Steps => steps;

    public static async Task<ComplaintJourney> RunAsync(AccountabilitySystem system)
    {
        var journey = new ComplaintJourney(system);
        try
        {
            await journey.WalkAsync();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"The complaint journey failed after: {string.Join(" | ", journey.steps)}\n{exception.Message}\n\n{system.Logs()}", exception);
        }
        return journey;
    }

    private void Step(string what) => steps.Add($"{clock.Elapsed.TotalSeconds:0.0}s {what}");

    /// <summary>What assignment said about the case after each step, stamped with its own updatedAt.</summary>
    public sealed record AssignmentSnapshot(string AfterStep, DateTimeOffset At, string Status, string OwnerKind, string OwnerId, bool PendingHandoff);

    public List<AssignmentSnapshot> Snapshots { get; } = [];

    /// <summary>Records assignment's view at this step boundary, for the auditor's replay to be compared with.</summary>
    private async Task SnapshotAsync(string afterStep)
    {
        var view = (await Assignment.GetAsync(CasePath, Dispatcher)).Ok();
        var owner = view.GetProperty("owner");
        Snapshots.Add(new AssignmentSnapshot(afterStep, view.GetProperty("updatedAt").GetDateTimeOffset(), view.GetProperty("status").GetString()!,
            owner.GetProperty("kind").GetString()!, owner.GetProperty("id").GetString()!, view.GetProperty("pendingHandoff").ValueKind != JsonValueKind.Null));
    }

    private ServiceProcess Assignment => system.Assignment;

    private string CasePath => $"/api/cases/{CaseId}";

    private static readonly string Dispatcher = AccountabilitySystem.Token("p-1009", Roles.Dispatcher);

    private async Task WalkAsync()
    {
        var directory = await system.DirectoryAsync();
        Clerk = directory.People.First(p => p.Active && p.Roles.Contains(Roles.IntakeClerk) && !p.Roles.Contains(Roles.Supervisor));
        Subject = directory.ByBadge(SubjectBadge) ?? throw new InvalidOperationException($"The directory has no officer with badge {SubjectBadge}.");
        var conflicted = directory.Conflicted(SubjectBadge);

        // The escalation instance with a manual clock must hear the case from its receipt.
        var escalation = await system.StartManualEscalationAsync();
        Step("manual-clock escalation instance started");

        await FileAsync();
        Step($"filed {CaseId} ({TrackingCode})");

        await ReceiptMailAsync();
        Step("receipt e-mail read");

        await RoutedAsync(directory, conflicted);
        Step($"routed to {RoutedTo.Id}");
        await SnapshotAsync("routed");

        await PublicStatusAsync(directory);
        Step("public status shows the case assigned");

        PickPeople(directory, conflicted);
        await DeclinedHandoffAsync();
        Step($"handoff to {Decliner.Id} declined");
        await SnapshotAsync("declined");

        await AcceptedHandoffAsync();
        Step($"handoff to {Receiver.Id} accepted");
        await SnapshotAsync("accepted");

        await EscalatedAsync(escalation);
        Step($"escalated to {Supervisor.Id}");
        await SnapshotAsync("escalated");

        await FindingsAsync();
        Step($"{AllegationIds.Count} findings recorded");
        await SnapshotAsync("findings");

        await ResolveAsync();
        Step("resolved");
        await SnapshotAsync("resolved");

        await SatisfactionAsync();
        Step("satisfaction answered");

        await ReopenAsync();
        Step("reopened");
        await SnapshotAsync("reopened");

        Custody = (await Assignment.GetAsync($"{CasePath}/custody", Dispatcher)).Ok();
        Step("custody read");
    }

    private async Task FileAsync()
    {
        var body = new
        {
            category = "force",
            narrative = "Pushed against a car and handcuffed too tightly after asking for a badge number.",
            channel = "phone",
            district = "2",
            occurredAt = DateTimeOffset.UtcNow.AddDays(-2).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            location = new { address = "40 Mill Road", latitude = 41.52, longitude = -72.61 },
            subjectOfficers = new[] { SubjectBadge },
            allegations = new[]
            {
                new { type = "force", officerBadge = SubjectBadge },
                new { type = "discourtesy", officerBadge = SubjectBadge },
            },
            complainant = new { name = "Dana Whitfield", email = ComplainantEmail, phone = "+15555550123" },
        };
        var filed = await system.Intake.SendAsync(HttpMethod.Post, "/api/complaints", AccountabilitySystem.Token(Clerk),
            System.Net.Http.Json.JsonContent.Create(body), new Dictionary<string, string> { ["Idempotency-Key"] = Guid.NewGuid().ToString() });
        var receipt = filed.Expect(HttpStatusCode.Created).Json;
        CaseId = receipt.GetProperty("caseId").GetGuid();
        TrackingCode = receipt.GetProperty("trackingCode").GetString()!;
        // The duty desk owns the case from the very transaction that stored it.
        Assert.Equal("unit", receipt.GetProperty("owner").GetProperty("kind").GetString());
        Assert.Equal("received", receipt.GetProperty("status").GetString());
    }

    private async Task ReceiptMailAsync()
    {
        // The routing news can overtake the receipt (separate events, separate deliveries): pick the receipt itself.
        Receipt = await system.Smtp.WaitForAsync(m => m.IsFor(ComplainantEmail) && m.Subject.Contains(TrackingCode, StringComparison.Ordinal)
                                                      && m.Subject.Contains("received your complaint", StringComparison.OrdinalIgnoreCase),
            $"a receipt e-mail to the complainant naming {TrackingCode}", AccountabilitySystem.FlowTimeout);
        Assert.Contains(TrackingCode, Receipt.Text, StringComparison.Ordinal);
        Assert.Equal([ComplainantEmail], Receipt.Recipients);

        // The status link in the mail works, and is the one the code opens.
        var statusLink = Regex.Match(Receipt.Text, @"https?://\S+/api/public/status/\S+").Value;
        Assert.Equal($"/api/public/status/{TrackingCode}", new Uri(statusLink).AbsolutePath);
        Assert.Equal(system.Intake.BaseAddress.Authority, new Uri(statusLink).Authority);
        var status = (await system.Intake.GetAsync(new Uri(statusLink).PathAndQuery)).Ok();
        Assert.Equal(TrackingCode, status.GetProperty("trackingCode").GetString());
    }

    private async Task RoutedAsync(OrgChart directory, IReadOnlySet<string> conflicted)
    {
        var routed = await Assignment.GetUntilAsync(CasePath, Dispatcher,
            c => c.GetProperty("owner").GetProperty("kind").GetString() == "person", "the case is routed to a person");
        RoutedTo = directory.Person(routed.GetProperty("owner").GetProperty("id").GetString()!);
        Assert.NotEqual(Subject.Id, RoutedTo.Id);
        Assert.DoesNotContain(RoutedTo.Id, conflicted);
        Assert.Contains("investigator", RoutedTo.Roles);
        Assert.Equal(routed.GetProperty("unitId").GetString(), RoutedTo.UnitId);
        Assert.Equal("open", routed.GetProperty("status").GetString());
    }

    private async Task PublicStatusAsync(OrgChart directory)
    {
        RoutedUnitName = directory.Unit(RoutedTo.UnitId).Name;
        var status = await system.Intake.GetUntilAsync($"/api/public/status/{TrackingCode}", null,
            s => s.GetProperty("status").GetString() == "assigned", "the public status shows the case assigned");
        // The unit's name is checked by the scenario itself, not here: intake's copy of the directory is
        // shared with other test runs, and a wrong name there must not hide what the rest of the walk shows.
        PublicStatusWhileAssigned = status;
        Assert.Contains(status.GetProperty("milestones").EnumerateArray(), m => m.GetProperty("milestone").GetString() == "routed");
        // A unit, never a person, and nothing about the complainant.
        var text = status.GetRawText();
        Assert.DoesNotContain(RoutedTo.Name, text, StringComparison.Ordinal);
        Assert.DoesNotContain(ComplainantEmail, text, StringComparison.Ordinal);
    }

    /// <summary>
    /// The receiver must have an active supervisor outside the conflict, so the escalation lands on
    /// someone who may hold the case; the decliner is any other eligible investigator.
    /// </summary>
    private void PickPeople(OrgChart directory, IReadOnlySet<string> conflicted)
    {
        var eligible = directory.Investigators(RoutedTo.UnitId).Where(p => p.Id != RoutedTo.Id && !conflicted.Contains(p.Id)).ToList();
        Receiver = eligible.FirstOrDefault(p => directory.FirstActiveAbove(p.Id) is { } boss && !conflicted.Contains(boss.Id) && boss.Id != RoutedTo.Id)
                   ?? eligible.First(p => directory.FirstActiveAbove(p.Id) is { } boss && !conflicted.Contains(boss.Id));
        Supervisor = directory.FirstActiveAbove(Receiver.Id)!;
        Decliner = eligible.First(p => p.Id != Receiver.Id && p.Id != Supervisor.Id);
    }

    private async Task DeclinedHandoffAsync()
    {
        var handoffId = await RequestHandoffAsync(Decliner, "The complainant asked for an investigator who speaks Portuguese.");
        (await Assignment.PostAsync($"/api/handoffs/{handoffId}/decline", AccountabilitySystem.Token(Decliner),
            new { reason = "I am on leave from next week and could not finish it." })).Ok();
        var after = (await Assignment.GetAsync(CasePath, Dispatcher)).Ok();
        Assert.Equal(RoutedTo.Id, after.GetProperty("owner").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("pendingHandoff").ValueKind);
    }

    private async Task AcceptedHandoffAsync()
    {
        var handoffId = await RequestHandoffAsync(Receiver, "Caseload balancing within the unit.");
        (await Assignment.PostAsync($"/api/handoffs/{handoffId}/accept", AccountabilitySystem.Token(Receiver))).Ok();
        var after = (await Assignment.GetAsync(CasePath, Dispatcher)).Ok();
        Assert.Equal(Receiver.Id, after.GetProperty("owner").GetProperty("id").GetString());
        Assert.False(after.GetProperty("acknowledged").GetBoolean());
    }

    private async Task<Guid> RequestHandoffAsync(Person to, string reason)
    {
        var requested = (await Assignment.PostAsync($"{CasePath}/handoffs", AccountabilitySystem.Token(RoutedTo), new { toPersonId = to.Id, reason }))
            .Expect(HttpStatusCode.Created).Json;
        var pending = (await Assignment.GetAsync(CasePath, Dispatcher)).Ok();
        // While the handoff is pending the owner still owns the case.
        Assert.Equal(RoutedTo.Id, pending.GetProperty("owner").GetProperty("id").GetString());
        Assert.Equal(to.Id, pending.GetProperty("pendingHandoff").GetProperty("toId").GetString());
        return requested.GetProperty("handoffId").GetGuid();
    }

    /// <summary>
    /// The receiver never acknowledges. The manual clock is moved to the acknowledge deadline of the
    /// receiver's run and not a millisecond further, so the breach fires for that run only: the
    /// supervisor's own fresh deadline (from the moment custody reaches them) stays in the future.
    /// </summary>
    private async Task EscalatedAsync(ServiceProcess escalation)
    {
        var clocksPath = $"/api/cases/{CaseId}/clocks";
        var clocks = await escalation.GetUntilAsync(clocksPath, Dispatcher,
            all => all.EnumerateArray().Any(c => IsAcknowledgeOf(c, Receiver.Id)), $"the acknowledge clock runs for {Receiver.Id}");
        var acknowledge = clocks.EnumerateArray().First(c => IsAcknowledgeOf(c, Receiver.Id));
        var dueAt = acknowledge.GetProperty("dueAt").GetDateTimeOffset();

        var admin = AccountabilitySystem.Token("p-1005", Roles.Admin);
        var now = (await escalation.GetAsync("/api/test-clock", admin)).Ok().GetProperty("now").GetDateTimeOffset();
        Assert.True(dueAt > now, $"The deadline {dueAt:O} should still be ahead of the manual clock {now:O}.");
        var by = TimeSpan.FromMilliseconds(Math.Ceiling((dueAt - now).TotalMilliseconds) + 1);
        (await escalation.PostAsync("/api/test-clock/advance", admin, new { by = XmlConvert.ToString(by) })).Ok();

        var escalated = await Assignment.GetUntilAsync(CasePath, Dispatcher,
            c => c.GetProperty("owner").GetProperty("id").GetString() != Receiver.Id, $"the case leaves {Receiver.Id} by escalation");
        Assert.Equal(Supervisor.Id, escalated.GetProperty("owner").GetProperty("id").GetString());
        var custody = (await Assignment.GetAsync($"{CasePath}/custody", Dispatcher)).Ok();
        var last = custody.EnumerateArray().Last();
        Assert.Equal("escalated", last.GetProperty("transferKind").GetString());
        Assert.Equal("system:escalation", last.GetProperty("actor").GetString());

        var raised = (await escalation.GetAsync($"/api/escalations?caseId={CaseId}", Dispatcher)).Ok();
        var raisedOnce = Assert.Single(raised.EnumerateArray());
        Assert.Equal("acknowledge", raisedOnce.GetProperty("clock").GetString());
        Assert.Equal("custody-requested", raisedOnce.GetProperty("outcome").GetString());
        Assert.Equal(Receiver.Id, raisedOnce.GetProperty("ownerId").GetString());
        Assert.Equal(Supervisor.Id, raisedOnce.GetProperty("toPersonId").GetString());
        Assert.Equal("timer", raisedOnce.GetProperty("source").GetString());
    }

    private static bool IsAcknowledgeOf(JsonElement clock, string personId) =>
        clock.GetProperty("clock").GetString() == "acknowledge"
        && clock.GetProperty("state").GetString() == "running"
        && clock.GetProperty("ownerId").GetString() == personId
        && clock.GetProperty("dueAt").ValueKind == JsonValueKind.String;

    /// <summary>
    /// The case lists its allegations; resolving before each has a finding is refused, then the
    /// supervisor records one per allegation.
    /// </summary>
    private async Task FindingsAsync()
    {
        var token = AccountabilitySystem.Token(Supervisor);
        // The supervisor who owns it now sees the allegations; a dispatcher's board view carries none.
        var view = (await Assignment.GetAsync(CasePath, token)).Ok();
        AllegationIds = [.. view.GetProperty("allegations").EnumerateArray().Select(a => a.GetProperty("id").GetString()!)];
        Assert.Equal(2, AllegationIds.Count);
        Assert.All(view.GetProperty("allegations").EnumerateArray(), a => Assert.Equal(JsonValueKind.Null, a.GetProperty("finding").ValueKind));
        var refused = (await Assignment.PostAsync($"{CasePath}/resolve", token)).Expect(HttpStatusCode.Conflict).Json;
        Assert.Equal("findings-missing", refused.GetProperty("code").GetString());

        string[] findings = ["not-sustained", "exonerated"];
        for (var i = 0; i < AllegationIds.Count; i++)
            (await Assignment.PostAsync($"{CasePath}/findings", token, new { allegationId = AllegationIds[i], finding = findings[i] })).Ok();
    }

    private async Task ResolveAsync()
    {
        (await Assignment.PostAsync($"{CasePath}/resolve", AccountabilitySystem.Token(Supervisor),
            new { reason = "Body-worn video reviewed; findings recorded for every allegation." })).Ok();
        var resolved = (await Assignment.GetAsync(CasePath, Dispatcher)).Ok();
        Assert.Equal("resolved", resolved.GetProperty("status").GetString());
        await system.Intake.GetUntilAsync($"/api/public/status/{TrackingCode}", null,
            s => s.GetProperty("status").GetString() == "resolved", "the public status shows the case resolved");
    }

    private async Task SatisfactionAsync()
    {
        Resolution = await system.Smtp.WaitForAsync(
            m => m.IsFor(ComplainantEmail) && m.Subject.Contains("outcome", StringComparison.OrdinalIgnoreCase) && m.Subject.Contains(TrackingCode, StringComparison.Ordinal),
            $"the resolution e-mail to the complainant for {TrackingCode}", AccountabilitySystem.FlowTimeout);
        var link = Regex.Match(Resolution.Text, Regex.Escape(AccountabilitySystem.PublicBaseUrl) + @"/api/public/satisfaction/[^\s""<>]+").Value;
        Assert.False(string.IsNullOrEmpty(link), $"No satisfaction link in the resolution e-mail:\n{Resolution.Text}");
        var path = new Uri(link).PathAndQuery;

        // The question first (a link scanner's GET records nothing), then the one-click answer.
        var question = await system.Notification.GetAsync(path);
        question.Expect(HttpStatusCode.OK);
        Assert.Contains("How satisfied", question.Body, StringComparison.Ordinal);
        var answered = (await system.Notification.PostAsync($"{path}?answer=4")).Ok();
        Assert.True(answered.GetProperty("recorded").GetBoolean());
        Assert.Equal(4, answered.GetProperty("answer").GetInt32());
        // Recorded once: the first answer counts.
        (await system.Notification.PostAsync($"{path}?answer=1")).Expect(HttpStatusCode.Conflict);
    }

    private async Task ReopenAsync()
    {
        (await Assignment.PostAsync($"{CasePath}/reopen", AccountabilitySystem.Token(Supervisor),
            new { reason = "The complainant sent a second video of the arrest." })).Ok();
        var reopened = (await Assignment.GetAsync(CasePath, Dispatcher)).Ok();
        Assert.Equal("open", reopened.GetProperty("status").GetString());
        Assert.Equal(Supervisor.Id, reopened.GetProperty("owner").GetProperty("id").GetString());
    }
}
