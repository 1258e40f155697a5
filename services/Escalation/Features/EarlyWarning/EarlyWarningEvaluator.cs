using System.Security.Cryptography;
using System.Text;

namespace Accountability.Escalation.Features.EarlyWarning;

/// <summary>
/// One allegation against the officer, as the evaluator counts it. <see cref="At"/> is the receipt of the
/// complaint (or the instant the allegation was added); <see cref="FindingAt"/> the instant of its finding.
/// </summary>
public sealed record CountedAllegation(
    Guid CaseId, string AllegationId, string Type, DateTimeOffset At, string? CaseNumber, IReadOnlyList<string> SubjectBadges,
    string? Finding = null, DateTimeOffset? FindingAt = null);

/// <summary>A warning already raised for the officer (stored), which a new crossing inside its window must not repeat.</summary>
public sealed record PriorWarning(string PolicyId, DateTimeOffset At, IReadOnlyList<string> AllegationKeys);

/// <summary>A warning to raise: every field comes from the events that counted, none from the wall clock.</summary>
public sealed record WarningDecision(
    Guid WarningId, string PolicyId, int PolicyVersion, string Kind, string Reason, DateTimeOffset At, DateTimeOffset WindowStart,
    IReadOnlyList<CountedAllegation> Counted);

/// <summary>
/// Decides which early warnings an officer's allegations raise. Pure: it folds the allegations in the order
/// they happened, so the same history gives the same warnings, at the same instants, however often it is
/// replayed and whenever. A crossing is raised once; while an earlier warning of the same policy is inside
/// the window, a new crossing is not raised again. A finding policy raises once per allegation.
/// </summary>
public static class EarlyWarningEvaluator
{
    public static IReadOnlyList<WarningDecision> Evaluate(
        string badge, string? officerUnitId, IReadOnlyList<CountedAllegation> allegations, IReadOnlyList<PriorWarning> prior, ThresholdPolicies policies)
    {
        var raised = new List<WarningDecision>();
        var known = prior.ToList();
        var ordered = allegations.OrderBy(a => a.At).ThenBy(a => a.CaseId).ThenBy(a => a.AllegationId, StringComparer.Ordinal).ToList();

        foreach (var id in policies.Ids.Order(StringComparer.Ordinal))
        {
            foreach (var allegation in ordered)
            {
                var policy = policies.InForce(id, allegation.At);
                if (policy is null || policy.Kind == ThresholdPolicy.Finding || !policy.Counts(allegation.Type) || !AppliesTo(policy, officerUnitId))
                    continue;
                var window = policy.Window!;
                var start = window.StartBefore(allegation.At);
                var end = window.EndAfter(allegation.At);
                if (known.Any(w => w.PolicyId == id && w.At > start && w.At < end))
                    continue;
                var counted = ordered.Where(a => policy.Counts(a.Type) && a.At > start && a.At <= allegation.At).ToList();
                var count = policy.Kind == ThresholdPolicy.Complaints ? counted.Select(a => a.CaseId).Distinct().Count() : counted.Count;
                if (count < policy.Threshold)
                    continue;
                var noun = policy.Kind == ThresholdPolicy.Complaints ? "complaints" : Types(policy) + "allegations";
                var decision = Decide(badge, policy, allegation.At, start, counted,
                    $"{count} {noun} within {window} reached the threshold of {policy.Threshold} ({policy.Id} v{policy.Version}). {policy.Reason}");
                raised.Add(decision);
                known.Add(new PriorWarning(id, decision.At, Keys(counted)));
            }

            foreach (var allegation in ordered.Where(a => a is { Finding: not null, FindingAt: not null }).OrderBy(a => a.FindingAt).ThenBy(a => a.CaseId))
            {
                var at = allegation.FindingAt!.Value;
                var policy = policies.InForce(id, at);
                if (policy is null || policy.Kind != ThresholdPolicy.Finding || !policy.Findings.Contains(allegation.Finding!)
                    || !policy.Counts(allegation.Type) || !AppliesTo(policy, officerUnitId))
                    continue;
                var key = Key(allegation);
                if (known.Any(w => w.PolicyId == id && w.AllegationKeys.Contains(key)))
                    continue;
                var decision = Decide(badge, policy, at, at, [allegation],
                    $"A {allegation.Finding} finding on a {allegation.Type} allegation ({policy.Id} v{policy.Version}). {policy.Reason}");
                raised.Add(decision);
                known.Add(new PriorWarning(id, at, [key]));
            }
        }
        return raised;
    }

    public static string Key(CountedAllegation allegation) => $"{allegation.CaseId}/{allegation.AllegationId}";

    public static IReadOnlyList<string> Keys(IEnumerable<CountedAllegation> allegations) => [.. allegations.Select(Key)];

    /// <summary>The same warning, named the same way on every replay.</summary>
    public static Guid WarningIdOf(string badge, string policyId, int version, DateTimeOffset at)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"early-warning|{badge.ToUpperInvariant()}|{policyId}|{version}|{at.UtcTicks}"));
        var bytes = hash[..16];
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x80); // version 8: name-based, application-defined
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }

    private static WarningDecision Decide(string badge, ThresholdPolicy policy, DateTimeOffset at, DateTimeOffset start, IReadOnlyList<CountedAllegation> counted, string reason) =>
        new(WarningIdOf(badge, policy.Id, policy.Version, at), policy.Id, policy.Version, policy.Kind, reason, at, start, counted);

    private static bool AppliesTo(ThresholdPolicy policy, string? officerUnitId) => policy.UnitId is null || policy.UnitId == officerUnitId;

    private static string Types(ThresholdPolicy policy) => policy.AllegationTypes.Count == 0 ? "" : string.Join(" or ", policy.AllegationTypes) + " ";
}
