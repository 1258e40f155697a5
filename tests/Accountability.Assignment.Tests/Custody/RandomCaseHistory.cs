using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using FsCheck;
using FsCheck.Fluent;

namespace Accountability.Assignment.Tests.Custody;

/// <summary>
/// One random step, as plain numbers. FsCheck generates and shrinks these; <see cref="RandomCaseHistory"/> turns each
/// into a command against the case as it stands, so a shrunk history still reads as a meaningful sequence.
/// </summary>
/// <param name="Kind">Which command (or a directory change).</param>
/// <param name="Actor">Below <see cref="RandomCaseHistory.PlausibleBelow"/>: whoever would normally act; otherwise anyone from the pool.</param>
/// <param name="Target">Who or what the command names (receiver, unit, finding...).</param>
/// <param name="Minutes">How far the clock moves first: usually forward, sometimes not at all, sometimes backwards.</param>
/// <param name="Variant">Picks between otherwise equal choices: which handoff id, an empty reason, which allegation.</param>
public sealed record RandomStep(int Kind, int Actor, int Target, int Minutes, int Variant);

/// <summary>How the case starts: which officers it is about and how many allegations it has.</summary>
public sealed record RandomComplaint(int SubjectMask, int AllegationCount);

public sealed record RandomHistory(RandomComplaint Complaint, RandomStep[] Steps)
{
    public override string ToString() =>
        $"{Complaint} with {Steps.Length} steps:\n  {string.Join("\n  ", Steps.Select(step => step.ToString()))}";
}

/// <summary>The generators, and the interpretation of random numbers as commands against the sample department.</summary>
public static class RandomCaseHistory
{
    public const int MaxSteps = 150;
    public const int PlausibleBelow = 60;
    public static readonly DateTimeOffset ReceivedAt = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);
    public static readonly Guid CaseId = Guid.Parse("0b7e1c52-0000-4000-8000-00000000c0de");

    /// <summary>Badges that may be subject officers: two patrol officers, a patrol sergeant (a chain of command that acts for its unit), an IA investigator, and a badge nobody holds.</summary>
    private static readonly string[] SubjectBadgePool = ["4002", "4003", "4001", "3003", "9999"];

    private static readonly string[] SystemActors = [CustodyDecider.RouterActor, "system:escalation", "system:intake"];

    private static readonly string[] KindNames =
    [
        "route", "route", "request", "request", "request", "accept", "accept", "decline", "cancel", "expire",
        "acknowledge", "contact", "finding", "finding", "resolve", "reopen", "reassign", "escalate",
        "directory", "receive",
    ];

    public static Arbitrary<RandomHistory> Histories()
    {
        var minutes = Gen.Frequency(
            (15, Gen.Constant(0)),
            (70, Gen.Choose(1, 600)),
            (5, Gen.Choose(600, 20_000)),
            (10, Gen.Choose(-180, -1)));
        var step =
            from kind in Gen.Choose(0, KindNames.Length - 1)
            from actor in Gen.Choose(0, 99)
            from target in Gen.Choose(0, 99)
            from minute in minutes
            from variant in Gen.Choose(0, 99)
            select new RandomStep(kind, actor, target, minute, variant);
        var complaint =
            from mask in Gen.Choose(0, (1 << SubjectBadgePool.Length) - 1)
            from allegations in Gen.Choose(0, 3)
            select new RandomComplaint(mask, allegations);
        var history =
            from start in complaint
            from length in Gen.Choose(1, MaxSteps)
            from steps in Gen.ArrayOf(step, length)
            select new RandomHistory(start, steps);
        return Arb.From(history, Shrink);
    }

    /// <summary>Shorter histories first (drop halves, then smaller chunks, then single steps), then simpler complaints.</summary>
    private static IEnumerable<RandomHistory> Shrink(RandomHistory history)
    {
        var steps = history.Steps;
        for (var chunk = steps.Length / 2; chunk >= 1; chunk /= 2)
        {
            for (var start = 0; start + chunk <= steps.Length; start += chunk)
                yield return history with { Steps = [.. steps[..start], .. steps[(start + chunk)..]] };
        }
        if (history.Complaint.SubjectMask != 0)
            yield return history with { Complaint = history.Complaint with { SubjectMask = 0 } };
        if (history.Complaint.AllegationCount != 0)
            yield return history with { Complaint = history.Complaint with { AllegationCount = 0 } };
    }

    public static CustodyCommand.Receive ReceiveCommand(RandomComplaint complaint)
    {
        var badges = SubjectBadgePool.Where((_, index) => (complaint.SubjectMask & (1 << index)) != 0).ToList();
        var allegations = Enumerable.Range(1, complaint.AllegationCount)
            .Select(number => new CaseAllegation
            {
                Id = $"A{number}",
                Type = "force",
                OfficerBadge = badges.Count == 0 ? "4002" : badges[number % badges.Count],
            })
            .ToList();
        return new CustodyCommand.Receive(CaseId, TestDepartment.IntakeDesk, badges, allegations, "misconduct", "1", "system:intake");
    }

    public static string KindName(RandomStep step) => KindNames[step.Kind % KindNames.Length];

    /// <summary>
    /// The command a step stands for, against the case as it is now; null for a directory change,
    /// which <see cref="ApplyDirectoryChange"/> handles instead.
    /// </summary>
    public static CustodyCommand? ToCommand(RandomStep step, int stepIndex, CaseState state, TestDepartment department)
    {
        var context = new StepContext(step, stepIndex, state, department);
        return KindName(step) switch
        {
            "route" => new CustodyCommand.Route(context.Unit(), step.Target % 3 == 0 ? null : context.Person(), context.Reason(), context.ActorOr(CustodyDecider.RouterActor)),
            "request" => new CustodyCommand.RequestHandoff(context.NewHandoffId(), context.HandoffTarget(), context.Reason(), context.ActorOr(context.OwnerSide())),
            "accept" => new CustodyCommand.AcceptHandoff(context.HandoffId(), context.ActorOr(context.ReceiverSide())),
            "decline" => new CustodyCommand.DeclineHandoff(context.HandoffId(), context.Reason(), context.ActorOr(context.ReceiverSide())),
            "cancel" => new CustodyCommand.CancelHandoff(context.HandoffId(), context.Reason(), context.ActorOr(context.OwnerSide())),
            "expire" => new CustodyCommand.ExpireHandoff(context.HandoffId(), context.ActorOr("system:escalation")),
            "acknowledge" => new CustodyCommand.Acknowledge(context.ActorOr(context.OwnerSide(exactOwner: true))),
            "contact" => new CustodyCommand.RecordContact(ContactMethods.Letter, null, context.ActorOr(context.OwnerSide())),
            "finding" => new CustodyCommand.RecordFinding(context.AllegationId(), context.Finding(), context.ActorOr(context.OwnerSide())),
            "resolve" => new CustodyCommand.Resolve(context.Reason(), context.ActorOr(context.OwnerSide())),
            "reopen" => new CustodyCommand.Reopen(context.Reason(), context.ActorOr(context.OwnerSide())),
            "reassign" => new CustodyCommand.Reassign(context.SupervisorOrAnyone(), context.Reason(), context.ActorOr(context.AboveOwner())),
            "escalate" => new CustodyCommand.Escalate(context.SupervisorOrAnyone(), context.Reason(), step.Variant % 10 == 0 ? 0 : 1 + step.Variant % 3, context.ActorOr("system:escalation")),
            "receive" => ReceiveCommand(new RandomComplaint(step.Target, step.Variant % 4)),
            "directory" => null,
            var other => throw new InvalidOperationException($"No interpretation for step kind {other}."),
        };
    }

    /// <summary>
    /// People come and go: half the time someone leaves (never the chief, so every chain has an active top),
    /// half the time someone who left comes back, so the department does not empty out over a long history.
    /// </summary>
    public static TestDepartment ApplyDirectoryChange(RandomStep step, TestDepartment department)
    {
        var leaving = step.Variant < 50;
        var candidates = department.People.Where(person => person.Id != "chief" && person.IsActive == leaving).ToList();
        if (candidates.Count == 0)
            return department;
        var person = candidates[step.Target % candidates.Count];
        return department.WithActive(person.Id, !leaving);
    }

    /// <summary>Step numbers become handoff ids, so a replayed seed produces the same ids.</summary>
    private static Guid HandoffIdFor(int stepIndex, int salt) => new(stepIndex + 1, (short)salt, 0x4000, 0x80, 0, 0, 0, 0, 0, 0, 0x01);

    private sealed class StepContext(RandomStep step, int stepIndex, CaseState state, TestDepartment department)
    {
        private readonly IReadOnlyList<string> people = [.. department.People.Select(person => person.Id), "ghost"];
        private readonly IReadOnlyList<string> units = [.. department.UnitIds, "no-such-unit"];

        /// <summary>Mostly the person who would normally act; otherwise anyone at all, including strangers and system components.</summary>
        public string ActorOr(string plausible)
        {
            if (step.Actor < PlausibleBelow)
                return plausible;
            IReadOnlyList<string> everyone = [.. people, .. SystemActors];
            return everyone[step.Actor % everyone.Count];
        }

        public string Person() => people[step.Target % people.Count];

        public string Unit() => units[step.Target % units.Count];

        public CaseOwner HandoffTarget() => step.Target < 65 ? CaseOwner.Person(Person()) : CaseOwner.Unit(Unit());

        public Guid NewHandoffId() => HandoffIdFor(stepIndex, 0);

        /// <summary>The pending handoff's id most of the time; otherwise one that was never requested.</summary>
        public Guid HandoffId() =>
            state.PendingHandoff is { } pending && step.Variant >= 15 ? pending.HandoffId : HandoffIdFor(stepIndex, 1 + step.Variant);

        public string Reason() => step.Variant % 10 == 0 ? "" : $"reason {step.Variant}";

        public string AllegationId() => step.Variant % 6 == 0 ? "A9" : $"A{1 + step.Variant % Math.Max(1, state.Allegations.Count)}";

        public string Finding() => step.Target % 8 == 0 ? "guilty" : Findings.All[step.Target % Findings.All.Count];

        /// <summary>The owner (or, for a unit, its commander), or now and then someone up the chain.</summary>
        public string OwnerSide(bool exactOwner = false)
        {
            var owner = state.Owner;
            if (owner is null)
                return "clerk";
            var holder = owner.IsPerson ? owner.Id : department.UnitCommander(owner.Id) ?? "clerk";
            if (exactOwner || step.Variant % 4 != 0)
                return holder;
            var chain = department.ChainOfCommand(holder);
            return chain.Count == 0 ? holder : chain[step.Variant % chain.Count];
        }

        public string ReceiverSide() => state.PendingHandoff?.To switch
        {
            null => OwnerSide(),
            { IsPerson: true } to => to.Id,
            var to => department.UnitCommander(to.Id) ?? "clerk",
        };

        public string AboveOwner()
        {
            var holder = OwnerSide(exactOwner: true);
            var chain = department.ChainOfCommand(holder);
            if (state.Owner is { IsPerson: false })
                return holder;
            return chain.Count == 0 ? holder : chain[step.Variant % chain.Count];
        }

        /// <summary>Someone up the owner's chain, as the escalation service would choose; otherwise anyone.</summary>
        public string SupervisorOrAnyone()
        {
            if (step.Target >= 50)
                return Person();
            var chain = department.ChainOfCommand(OwnerSide(exactOwner: true));
            return chain.Count == 0 ? Person() : chain[step.Target % chain.Count];
        }
    }
}
