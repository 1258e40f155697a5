using System.Diagnostics;
using System.Globalization;
using Accountability.Assignment.Features.Custody;
using Accountability.Contracts.Custody;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Xunit;
using Xunit.Abstractions;

namespace Accountability.Assignment.Tests.Custody;

/// <summary>
/// Thousands of random case histories through the pure custody rules, checking the promise after every step.
/// Each run prints its seed; CUSTODY_PROPERTY_SEED=&lt;seed&gt; replays exactly that run, and FsCheck shrinks a failure
/// to a short history before reporting it.
/// </summary>
public sealed class CustodyPropertyTests(ITestOutputHelper output)
{
    private const int HistoryCount = 3_000;
    private const string SeedVariable = "CUSTODY_PROPERTY_SEED";

    [Fact]
    public void Every_random_history_keeps_exactly_one_owner_and_a_seamless_ledger()
    {
        var seed = ChooseSeed();
        var statistics = new HistoryStatistics();
        var config = Config.QuickThrowOnFailure
            .WithMaxTest(HistoryCount)
            .WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed), FSharpOption<int>.None)));
        var clock = Stopwatch.StartNew();

        try
        {
            Check.One(config, Prop.ForAll(RandomCaseHistory.Histories(), (RandomHistory history) => Run(history, statistics)));
        }
        catch (Exception failure)
        {
            throw new InvariantViolated($"A random history broke the custody rules. Replay it with {SeedVariable}={seed}.\n{failure.Message}");
        }

        output.WriteLine($"seed {seed} ({SeedVariable} to replay): {statistics.Histories} histories, {statistics.Steps} steps " +
            $"({statistics.Accepted} accepted, {statistics.Refused} refused), {statistics.Transfers} transfers, " +
            $"longest ledger {statistics.LongestLedger} intervals, in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine("accepted: " + string.Join(", ", statistics.AcceptedByCommand.OrderBy(entry => entry.Key).Select(entry => $"{entry.Key} {entry.Value}")));
        output.WriteLine("refused: " + string.Join(", ", statistics.RefusedByCode.OrderBy(entry => entry.Key).Select(entry => $"{entry.Key} {entry.Value}")));
        output.WriteLine("transfers: " + string.Join(", ", statistics.TransfersByKind.OrderBy(entry => entry.Key).Select(entry => $"{entry.Key} {entry.Value}")));

        // A generator that only produced refusals would pass vacuously: every path must actually be exercised.
        Assert.Equal(HistoryCount, statistics.Histories);
        foreach (var command in new[] { "Route", "RequestHandoff", "AcceptHandoff", "DeclineHandoff", "CancelHandoff", "ExpireHandoff", "Acknowledge", "RecordContact", "RecordFinding", "Resolve", "Reopen", "Reassign", "Escalate" })
            Assert.True(statistics.AcceptedByCommand.GetValueOrDefault(command) >= 50, $"{command} was accepted only {statistics.AcceptedByCommand.GetValueOrDefault(command)} times");
        foreach (var code in new[]
                 {
                     RefusalCodes.AlreadyReceived, RefusalCodes.CaseResolved, RefusalCodes.CaseNotResolved, RefusalCodes.AlreadyRouted,
                     RefusalCodes.HandoffPending, RefusalCodes.HandoffNotPending, RefusalCodes.AlreadyAcknowledged, RefusalCodes.FindingsMissing,
                     RefusalCodes.TimeWentBackwards, RefusalCodes.ActorUnknown, RefusalCodes.ActorInactive, RefusalCodes.NotPermitted,
                     RefusalCodes.HandoffToSelf, RefusalCodes.AlreadyOwner, RefusalCodes.PersonUnknown, RefusalCodes.PersonInactive,
                     RefusalCodes.UnitUnknown, RefusalCodes.PersonNotInUnit, RefusalCodes.ConflictOfInterest, RefusalCodes.ActorConflicted, RefusalCodes.ReasonRequired,
                     RefusalCodes.InvalidCommand, RefusalCodes.AllegationUnknown, RefusalCodes.FindingInvalid, RefusalCodes.FindingUnchanged,
                 })
            Assert.True(statistics.RefusedByCode.GetValueOrDefault(code) >= 10, $"refusal {code} occurred only {statistics.RefusedByCode.GetValueOrDefault(code)} times");
        foreach (var kind in TransferKinds.All)
        {
            // A reopen moves custody only when the last person owner left or a unit held the case, so it is rarer.
            var floor = kind == TransferKinds.Reopened ? 10 : 50;
            Assert.True(statistics.TransfersByKind.GetValueOrDefault(kind) >= floor, $"transfer kind {kind} occurred only {statistics.TransfersByKind.GetValueOrDefault(kind)} times");
        }
    }

    /// <summary>Runs one history, checking every step; throws with the history's trace at the first broken promise.</summary>
    private static void Run(RandomHistory history, HistoryStatistics statistics)
    {
        var department = TestDepartment.Sample;
        var state = CaseState.NotReceived;
        var events = new List<object>();
        var trace = new List<string>();
        var now = RandomCaseHistory.ReceivedAt;
        var latestInstant = now;
        statistics.Histories++;

        void Step(CustodyCommand command, string label)
        {
            var before = state;
            var decision = CustodyDecider.Decide(state, command, department, now);
            if (decision is Decision.Accepted accepted)
            {
                state = accepted.Events.Aggregate(state, CustodyDecider.Evolve);
                events.AddRange(accepted.Events);
                if (now > latestInstant)
                    latestInstant = now;
                statistics.Count(command, accepted);
                trace.Add($"{label} @{now:HH:mm dd/MM} {Describe(command)} → {string.Join(", ", accepted.Events.Select(Summarize))}");
            }
            else
            {
                var refusal = ((Decision.Refused)decision).Refusal;
                statistics.Count(refusal);
                trace.Add($"{label} @{now:HH:mm dd/MM} {Describe(command)} → refused {refusal.Code}: {refusal.Reason}");
            }
            CustodyInvariants.AssertStep(before, command, now, decision, state, department);
            CustodyInvariants.AssertHold(state, RandomCaseHistory.ReceivedAt, latestInstant);
            statistics.LongestLedger = Math.Max(statistics.LongestLedger, state.Ledger.Count);
        }

        try
        {
            var receive = RandomCaseHistory.ReceiveCommand(history.Complaint);
            Step(receive, "receive");
            if (state.Status != CaseStatus.Open)
                throw new InvariantViolated("the Receive that starts every history was refused");

            for (var index = 0; index < history.Steps.Length; index++)
            {
                var step = history.Steps[index];
                now = now.AddMinutes(step.Minutes);
                var command = RandomCaseHistory.ToCommand(step, index, state, department);
                if (command is null)
                {
                    department = RandomCaseHistory.ApplyDirectoryChange(step, department);
                    trace.Add($"#{index} directory change: {step}");
                    CustodyInvariants.AssertHold(state, RandomCaseHistory.ReceivedAt, latestInstant);
                    continue;
                }
                Step(command, $"#{index}");
                statistics.Steps++;
            }

            // The stored events alone must rebuild exactly the live state (ARCHITECTURE §7 relies on it).
            var replayed = CustodyDecider.Replay(events);
            if (CustodyInvariants.Describe(replayed) != CustodyInvariants.Describe(state))
                throw new InvariantViolated("replaying the events does not rebuild the live state");
        }
        catch (Exception violation)
        {
            throw new InvariantViolated(
                $"{violation.Message}\n--- case as it stood ---\n{CustodyInvariants.Describe(state)}--- history (last 40 steps) ---\n{string.Join("\n", trace.TakeLast(40))}");
        }
    }

    private static string Describe(CustodyCommand command) => command switch
    {
        CustodyCommand.Receive receive =>
            $"Receive {{ Actor = {receive.Actor}, Subjects = [{string.Join(", ", receive.SubjectOfficerBadges)}], Allegations = [{string.Join(", ", receive.Allegations.Select(allegation => $"{allegation.Id}:{allegation.OfficerBadge}"))}] }}",
        _ => command.ToString(),
    };

    private static string Summarize(object @event) => @event switch
    {
        CustodyTransferred transfer => $"CustodyTransferred({transfer.TransferKind} → {transfer.ToOwnerKind} {transfer.ToOwnerId})",
        _ => @event.GetType().Name,
    };

    private ulong ChooseSeed()
    {
        var configured = Environment.GetEnvironmentVariable(SeedVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            output.WriteLine($"replaying {SeedVariable}={configured}");
            return ulong.Parse(configured, CultureInfo.InvariantCulture);
        }
        return (ulong)Random.Shared.NextInt64(1, long.MaxValue);
    }

    private sealed class HistoryStatistics
    {
        public int Histories { get; set; }
        public int Steps { get; set; }
        public int Accepted { get; private set; }
        public int Refused { get; private set; }
        public int Transfers { get; private set; }
        public int LongestLedger { get; set; }
        public Dictionary<string, int> AcceptedByCommand { get; } = [];
        public Dictionary<string, int> RefusedByCode { get; } = [];
        public Dictionary<string, int> TransfersByKind { get; } = [];

        public void Count(CustodyCommand command, Decision.Accepted accepted)
        {
            Accepted++;
            Increment(AcceptedByCommand, command.GetType().Name);
            foreach (var transfer in accepted.Events.OfType<CustodyTransferred>())
            {
                Transfers++;
                Increment(TransfersByKind, transfer.TransferKind);
            }
        }

        public void Count(Refusal refusal)
        {
            Refused++;
            Increment(RefusedByCode, refusal.Code);
        }

        private static void Increment(Dictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;
    }
}
