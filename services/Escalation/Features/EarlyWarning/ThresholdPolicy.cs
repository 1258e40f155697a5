using System.Text.Json;
using Accountability.Contracts.Intake;

namespace Accountability.Escalation.Features.EarlyWarning;

/// <summary>How far back a count looks: whole months (calendar) or days.</summary>
public sealed record CountWindow(int Amount, string Unit)
{
    public const string Days = "days";
    public const string Months = "months";
    public static readonly IReadOnlyList<string> Units = [Days, Months];

    /// <summary>The exclusive start of the window that ends at <paramref name="end"/>.</summary>
    public DateTimeOffset StartBefore(DateTimeOffset end) => Unit == Months ? end.AddMonths(-Amount) : end.AddDays(-Amount);

    public DateTimeOffset EndAfter(DateTimeOffset start) => Unit == Months ? start.AddMonths(Amount) : start.AddDays(Amount);

    public override string ToString() => $"{Amount} {(Amount == 1 ? Unit.TrimEnd('s') : Unit)}";
}

/// <summary>
/// One version of an early-intervention threshold policy. Versions of one id follow each other in time; the
/// version in force at the instant of the event that would cross it is the one applied.
/// </summary>
public sealed record ThresholdPolicy
{
    /// <summary>Counts distinct complaints (cases) naming the officer.</summary>
    public const string Complaints = "complaints";

    /// <summary>Counts allegations against the officer.</summary>
    public const string Allegations = "allegations";

    /// <summary>Any one finding of a listed kind on an allegation of a listed type.</summary>
    public const string Finding = "finding";

    public static readonly IReadOnlyList<string> Kinds = [Complaints, Allegations, Finding];

    public static readonly IReadOnlyList<string> FindingKinds = ["sustained", "not-sustained", "exonerated", "unfounded", "policy-failure", "withdrawn"];

    public required string Id { get; init; }
    public required int Version { get; init; }
    public required DateTimeOffset EffectiveFrom { get; init; }
    public required string Kind { get; init; }

    /// <summary>Empty: every allegation type counts.</summary>
    public required IReadOnlyList<string> AllegationTypes { get; init; }

    /// <summary>Finding policies only.</summary>
    public required IReadOnlyList<string> Findings { get; init; }

    /// <summary>Only officers of this unit (as the directory places them when the count is made); null for everyone.</summary>
    public string? UnitId { get; init; }

    /// <summary>Count policies only; 0 for a finding policy.</summary>
    public required int Threshold { get; init; }

    /// <summary>Count policies only.</summary>
    public CountWindow? Window { get; init; }

    public required string Reason { get; init; }

    public bool Counts(string allegationType) => AllegationTypes.Count == 0 || AllegationTypes.Contains(allegationType);
}

/// <summary>deploy/escalation/early-warning.json, as written.</summary>
public sealed record ThresholdPolicyFile
{
    public IReadOnlyList<ThresholdPolicyRequest?>? Policies { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and validates the whole file; any problem stops the start with every reason, by field path.</summary>
    public static ThresholdPolicies Load(string path)
    {
        ThresholdPolicyFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ThresholdPolicyFile>(File.ReadAllText(path), Json);
        }
        catch (JsonException exception)
        {
            throw new InvalidOperationException($"{path} is not valid:\n  {exception.Path}: {exception.Message}", exception);
        }
        var (policies, problems) = ThresholdPolicyValidator.CheckAll(file?.Policies);
        if (problems.Count > 0)
            throw new InvalidOperationException($"{path} is not valid:\n  " + string.Join("\n  ", problems));
        return new ThresholdPolicies(policies);
    }
}

public sealed record ThresholdPolicyRequest
{
    public string? Id { get; init; }
    public int? Version { get; init; }
    public DateTimeOffset? EffectiveFrom { get; init; }
    public string? Kind { get; init; }
    public IReadOnlyList<string>? AllegationTypes { get; init; }
    public IReadOnlyList<string>? Findings { get; init; }
    public string? UnitId { get; init; }
    public int? Threshold { get; init; }
    public WindowRequest? Window { get; init; }
    public string? Reason { get; init; }
}

public sealed record WindowRequest(int? Amount, string? Unit);

/// <summary>Field-level reasons why a threshold policy file cannot be used. Pure.</summary>
public static class ThresholdPolicyValidator
{
    public static (IReadOnlyList<ThresholdPolicy> Policies, IReadOnlyList<string> Problems) CheckAll(IReadOnlyList<ThresholdPolicyRequest?>? requests)
    {
        var problems = new List<string>();
        var policies = new List<ThresholdPolicy>();
        if (requests is null)
            return ([], ["policies: Required: a list of threshold policies (it may be empty)."]);
        for (var i = 0; i < requests.Count; i++)
        {
            var errors = new List<(string Field, string Message)>();
            var policy = requests[i] is { } request ? Check(request, errors) : null;
            if (requests[i] is null)
                errors.Add(("", "An entry may not be null."));
            problems.AddRange(errors.Select(e => $"policies[{i}]{(e.Field.Length > 0 ? "." + e.Field : "")}: {e.Message}"));
            if (policy is not null)
                policies.Add(policy);
        }
        foreach (var versions in policies.GroupBy(p => p.Id))
        {
            var ordered = versions.OrderBy(p => p.Version).ToList();
            for (var v = 0; v < ordered.Count; v++)
            {
                if (ordered[v].Version != v + 1)
                {
                    problems.Add($"policies: '{versions.Key}' version {ordered[v].Version} does not follow version {v}; versions run 1, 2, 3... once each.");
                    break;
                }
                if (v > 0 && ordered[v].EffectiveFrom <= ordered[v - 1].EffectiveFrom)
                    problems.Add($"policies: '{versions.Key}' version {ordered[v].Version} must take effect after version {v} ({ordered[v - 1].EffectiveFrom:O}); versions may not overlap.");
                if (v > 0 && ordered[v].Kind != ordered[0].Kind)
                    problems.Add($"policies: '{versions.Key}' version {ordered[v].Version} changes the kind; a new kind is a new policy id.");
            }
        }
        return (policies, problems);
    }

    public static ThresholdPolicy? Check(ThresholdPolicyRequest request, List<(string Field, string Message)> errors)
    {
        var before = errors.Count;
        void Add(string field, string message) => errors.Add((field, message));

        if (string.IsNullOrWhiteSpace(request.Id) || !request.Id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            Add("id", "Required: lower-case letters, digits and '-', e.g. \"complaints-12-months\".");
        if (request.Version is not (>= 1))
            Add("version", "Must be a whole number from 1.");
        if (request.EffectiveFrom is null)
            Add("effectiveFrom", "Required: the instant from which this version applies (ISO 8601 with an offset).");
        if (string.IsNullOrWhiteSpace(request.Reason))
            Add("reason", "Say why this policy version exists; it is the record of the decision.");
        if (request.Kind is not { } kind || !ThresholdPolicy.Kinds.Contains(kind))
            Add("kind", $"Must be one of: {string.Join(", ", ThresholdPolicy.Kinds)}.");
        var types = request.AllegationTypes ?? [];
        for (var t = 0; t < types.Count; t++)
            if (!ComplaintCategories.IsKnown(types[t]))
                Add($"allegationTypes[{t}]", $"'{types[t]}' is not an allegation type; the types are {string.Join(", ", ComplaintCategories.All)}.");
        if (request.UnitId is { } unit && string.IsNullOrWhiteSpace(unit))
            Add("unitId", "Leave it out for every unit, or name one (e.g. \"u-patrol-1\").");

        if (request.Kind == ThresholdPolicy.Finding)
        {
            if (request.Findings is not { Count: > 0 } findings)
                Add("findings", $"Name at least one finding: {string.Join(", ", ThresholdPolicy.FindingKinds)}.");
            else
                for (var f = 0; f < findings.Count; f++)
                    if (!ThresholdPolicy.FindingKinds.Contains(findings[f]))
                        Add($"findings[{f}]", $"'{findings[f]}' is not a finding; the findings are {string.Join(", ", ThresholdPolicy.FindingKinds)}.");
            if (request.Threshold is not null)
                Add("threshold", "A finding policy has no threshold: any one finding of a listed kind raises it.");
            if (request.Window is not null)
                Add("window", "A finding policy has no window: any one finding of a listed kind raises it.");
        }
        else if (request.Kind is ThresholdPolicy.Complaints or ThresholdPolicy.Allegations)
        {
            if (request.Findings is not null)
                Add("findings", "Only a finding policy lists findings.");
            if (request.Threshold is not (>= 1 and <= 1000))
                Add("threshold", "Must be a whole number from 1 to 1000.");
            if (request.Window is not { } window)
                Add("window", "Required: { \"amount\": 12, \"unit\": \"months\" }.");
            else
            {
                if (window.Unit is null || !CountWindow.Units.Contains(window.Unit))
                    Add("window.unit", $"Must be one of: {string.Join(", ", CountWindow.Units)}.");
                if (window.Amount is not (>= 1))
                    Add("window.amount", "Must be a whole number from 1.");
                else if ((window.Unit == CountWindow.Months && window.Amount > 120) || (window.Unit == CountWindow.Days && window.Amount > 3650))
                    Add("window.amount", "At most ten years (120 months or 3650 days).");
            }
        }

        if (errors.Count > before)
            return null;
        return new ThresholdPolicy
        {
            Id = request.Id!,
            Version = request.Version!.Value,
            EffectiveFrom = request.EffectiveFrom!.Value,
            Kind = request.Kind!,
            AllegationTypes = types,
            Findings = request.Findings ?? [],
            UnitId = request.UnitId,
            Threshold = request.Threshold ?? 0,
            Window = request.Window is { Amount: { } amount, Unit: { } windowUnit } ? new CountWindow(amount, windowUnit) : null,
            Reason = request.Reason!.Trim(),
        };
    }
}

/// <summary>Every version of every threshold policy, and which is in force when. Pure.</summary>
public sealed class ThresholdPolicies(IReadOnlyList<ThresholdPolicy> all)
{
    public IReadOnlyList<ThresholdPolicy> All => all;

    public IEnumerable<string> Ids => all.Select(p => p.Id).Distinct();

    public ThresholdPolicy? InForce(string id, DateTimeOffset at) =>
        all.Where(p => p.Id == id && p.EffectiveFrom <= at).MaxBy(p => p.Version);
}
