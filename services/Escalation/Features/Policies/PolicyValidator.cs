using Accountability.Contracts.Escalation;
using Accountability.Contracts.Intake;

namespace Accountability.Escalation.Features.Policies;

/// <summary>The body of POST /api/policies and of each entry of deploy/escalation/policies.json.</summary>
public sealed record PolicyRequest
{
    public string? Category { get; init; }
    public string? Priority { get; init; }
    public int? Version { get; init; }
    public DateTimeOffset? EffectiveFrom { get; init; }
    public string? Reason { get; init; }
    public IReadOnlyList<int>? WarnAtPercent { get; init; }
    public IReadOnlyDictionary<string, ClockLimitRequest?>? Clocks { get; init; }
}

public sealed record ClockLimitRequest(decimal? Amount, string? Unit);

/// <summary>Field-level reasons why a policy cannot be stored. Pure: the caller supplies what exists and the time.</summary>
public static class PolicyValidator
{
    public static readonly IReadOnlyList<int> DefaultWarnings = [50, 75, 90];

    /// <summary>Checks the shape of one policy; returns the policy, or the errors by field.</summary>
    public static (SlaPolicy? Policy, Dictionary<string, string[]> Errors) Check(PolicyRequest request, DateTimeOffset defaultEffectiveFrom, string createdBy)
    {
        var errors = new Dictionary<string, List<string>>();
        void Add(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list))
                errors[field] = list = [];
            list.Add(message);
        }

        if (request.Category is not { } category || (category != SlaPolicy.AnyCategory && !ComplaintCategories.IsKnown(category)))
            Add("category", $"Must be \"*\" or one of: {string.Join(", ", ComplaintCategories.All)}.");
        if (request.Priority is not { } priority || !Priorities.All.Contains(priority))
            Add("priority", $"Must be one of: {string.Join(", ", Priorities.All)}.");
        if (request.Version is not ({ } version and >= 1))
            Add("version", "Must be a whole number from 1.");
        if (string.IsNullOrWhiteSpace(request.Reason))
            Add("reason", "Say why this policy version exists; it is the record of the decision.");

        var warnings = request.WarnAtPercent ?? DefaultWarnings;
        for (var i = 0; i < warnings.Count; i++)
            if (warnings[i] is <= 0 or >= 100)
                Add($"warnAtPercent[{i}]", $"{warnings[i]} is outside 0–100: a warning comes strictly between the start and the breach.");
        if (warnings.Distinct().Count() != warnings.Count)
            Add("warnAtPercent", "Each percentage may appear once.");

        var clocks = new Dictionary<string, ClockLimit>();
        if (request.Clocks is null)
            Add("clocks", $"Give a limit for every clock: {string.Join(", ", SlaClocks.All)}.");
        else
        {
            foreach (var name in request.Clocks.Keys.Where(k => !SlaClocks.IsKnown(k)))
                Add($"clocks.{name}", $"Unknown clock; the clocks are {string.Join(", ", SlaClocks.All)}.");
            foreach (var name in SlaClocks.All)
            {
                if (!request.Clocks.TryGetValue(name, out var limit) || limit is null)
                {
                    Add($"clocks.{name}", "Missing: every clock needs a limit.");
                    continue;
                }
                if (limit.Amount is not { } amount)
                    Add($"clocks.{name}.amount", "Required.");
                else if (amount <= 0)
                    Add($"clocks.{name}.amount", $"{amount} is not a duration: it must be positive.");
                else if (amount > 3650)
                    Add($"clocks.{name}.amount", "At most 3650.");
                if (limit.Unit is null || !ClockLimit.Units.Contains(limit.Unit))
                    Add($"clocks.{name}.unit", $"Must be one of: {string.Join(", ", ClockLimit.Units)}.");
                if (limit is { Amount: > 0, Unit: { } unit } && ClockLimit.Units.Contains(unit))
                    clocks[name] = new ClockLimit(limit.Amount.Value, unit);
            }
        }

        if (errors.Count > 0)
            return (null, errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        return (new SlaPolicy
        {
            Category = request.Category!,
            Priority = request.Priority!,
            Version = request.Version!.Value,
            EffectiveFrom = request.EffectiveFrom ?? defaultEffectiveFrom,
            Clocks = clocks,
            WarnAtPercent = [.. warnings.Order()],
            Reason = request.Reason!.Trim(),
            CreatedBy = createdBy,
        }, []);
    }

    /// <summary>
    /// Whether a new version fits after the versions that exist: the next number, in force strictly
    /// after the latest one starts, and never backdated (open cases keep their version either way,
    /// but a backdated version would misstate which rules applied when).
    /// </summary>
    public static Dictionary<string, string[]> CheckSequence(SlaPolicy candidate, SlaPolicy? latest, DateTimeOffset now, bool allowPast = false)
    {
        var errors = new Dictionary<string, string[]>();
        var expected = (latest?.Version ?? 0) + 1;
        if (candidate.Version <= (latest?.Version ?? 0))
            errors["version"] = [$"Version {candidate.Version} of {candidate.Category}/{candidate.Priority} overlaps an existing version; the next is {expected}."];
        else if (candidate.Version != expected)
            errors["version"] = [$"Versions follow each other without gaps; the next is {expected}."];
        if (latest is not null && candidate.EffectiveFrom <= latest.EffectiveFrom)
            errors["effectiveFrom"] = [$"Must be after {latest.EffectiveFrom:O}, when version {latest.Version} took effect; versions may not overlap."];
        else if (!allowPast && candidate.EffectiveFrom < now)
            errors["effectiveFrom"] = ["May not be in the past: open cases keep their version, and history must say which rules applied when."];
        return errors;
    }
}
