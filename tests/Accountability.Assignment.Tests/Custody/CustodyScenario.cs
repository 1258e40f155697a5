using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using Xunit;

namespace Accountability.Assignment.Tests.Custody;

/// <summary>
/// Drives one case through the decider for the example tests: each step decides, applies the events,
/// and checks the custody invariants, so every example also guards the promise.
/// </summary>
public sealed class CustodyScenario
{
    public static readonly DateTimeOffset ReceivedAt = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    private readonly List<object> events = [];
    private DateTimeOffset latestInstant = ReceivedAt;

    private CustodyScenario(TestDepartment department)
    {
        Department = department;
        Now = ReceivedAt;
    }

    public Guid CaseId { get; } = Guid.NewGuid();
    public TestDepartment Department { get; set; }
    public DateTimeOffset Now { get; private set; }
    public CaseState State { get; private set; } = CaseState.NotReceived;
    public IReadOnlyList<object> Events => events;

    /// <summary>A case received at the intake desk. Allegations are "A1", "A2", ... against the given badges.</summary>
    public static CustodyScenario Received(string[]? subjectBadges = null, string[]? allegationBadges = null, TestDepartment? department = null)
    {
        var scenario = new CustodyScenario(department ?? TestDepartment.Sample);
        var allegations = (allegationBadges ?? [])
            .Select((badge, index) => new CaseAllegation { Id = $"A{index + 1}", Type = "force", OfficerBadge = badge })
            .ToList();
        scenario.Then(new CustodyCommand.Receive(scenario.CaseId, TestDepartment.IntakeDesk, subjectBadges ?? [], allegations, "misconduct", "1", "system:intake"), after: TimeSpan.Zero);
        return scenario;
    }

    /// <summary>A received case already routed to <paramref name="investigator"/> of internal affairs.</summary>
    public static CustodyScenario OwnedBy(string investigator = "inv-a", string[]? subjectBadges = null, string[]? allegationBadges = null)
    {
        var scenario = Received(subjectBadges, allegationBadges);
        scenario.Then(new CustodyCommand.Route(TestDepartment.InternalAffairs, investigator, "force complaints go to internal affairs", CustodyDecider.RouterActor));
        return scenario;
    }

    /// <summary>Decides at <see cref="Now"/> + <paramref name="after"/> (default ten minutes) without asserting the outcome.</summary>
    public Decision Decide(CustodyCommand command, TimeSpan? after = null)
    {
        var now = Now + (after ?? TimeSpan.FromMinutes(10));
        var before = State;
        var decision = CustodyDecider.Decide(State, command, Department, now);
        if (decision is Decision.Accepted accepted)
        {
            State = accepted.Events.Aggregate(State, CustodyDecider.Evolve);
            events.AddRange(accepted.Events);
            Now = now;
            if (now > latestInstant)
                latestInstant = now;
        }
        CustodyInvariants.AssertStep(before, command, now, decision, State, Department);
        CustodyInvariants.AssertHold(State, ReceivedAt, latestInstant);
        return decision;
    }

    /// <summary>The command must be accepted; returns its events.</summary>
    public IReadOnlyList<object> Then(CustodyCommand command, TimeSpan? after = null)
    {
        var decision = Decide(command, after);
        var accepted = Assert.IsType<Decision.Accepted>(decision);
        return accepted.Events;
    }

    /// <summary>The command must be refused with <paramref name="code"/>, a reason, and no change to the case.</summary>
    public Refusal Refuses(CustodyCommand command, string code, TimeSpan? after = null)
    {
        var before = CustodyInvariants.Describe(State);
        var decision = Decide(command, after);
        var refused = Assert.IsType<Decision.Refused>(decision);
        Assert.Equal(code, refused.Refusal.Code);
        Assert.False(string.IsNullOrWhiteSpace(refused.Refusal.Reason));
        Assert.Equal(before, CustodyInvariants.Describe(State));
        return refused.Refusal;
    }

    /// <summary>Requests a handoff from the current owner (or <paramref name="by"/>) and returns its id.</summary>
    public Guid HandOff(CaseOwner to, string? by = null, string reason = "needs a specialist")
    {
        var handoffId = Guid.NewGuid();
        Then(new CustodyCommand.RequestHandoff(handoffId, to, reason, by ?? State.Owner!.Id));
        return handoffId;
    }
}
