namespace Accountability.Escalation.Features.Policies;

/// <summary>Every policy version, and the rule that picks the one a case starts under. Pure.</summary>
public sealed class PolicyCatalog(IEnumerable<SlaPolicy> policies)
{
    private readonly IReadOnlyList<SlaPolicy> all = policies.ToList();

    public IReadOnlyList<SlaPolicy> All => all;

    /// <summary>
    /// The version in force at <paramref name="at"/>: the exact category before "*", and of that
    /// (category, priority) the latest version whose EffectiveFrom is not after the instant.
    /// </summary>
    public SlaPolicy? Resolve(string category, string priority, DateTimeOffset at) =>
        InForce(category, priority, at) ?? InForce(SlaPolicy.AnyCategory, priority, at);

    public SlaPolicy? Find(PolicyKey key) =>
        all.FirstOrDefault(p => p.Category == key.Category && p.Priority == key.Priority && p.Version == key.Version);

    public SlaPolicy? Latest(string category, string priority) =>
        all.Where(p => p.Category == category && p.Priority == priority).MaxBy(p => p.Version);

    private SlaPolicy? InForce(string category, string priority, DateTimeOffset at) =>
        all.Where(p => p.Category == category && p.Priority == priority && p.EffectiveFrom <= at).MaxBy(p => p.EffectiveFrom);
}
