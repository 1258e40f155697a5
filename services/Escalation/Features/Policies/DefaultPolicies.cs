using System.Text.Json;
using Accountability.Escalation.Data;

namespace Accountability.Escalation.Features.Policies;

/// <summary>deploy/escalation/policies.json: which categories are urgent, and the first version of each policy.</summary>
public sealed record DefaultPoliciesFile
{
    public required IReadOnlyList<string> UrgentCategories { get; init; }
    public required IReadOnlyList<PolicyRequest> Policies { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and validates the whole file; any problem stops the start with every reason, by path.</summary>
    public static (PolicySettings Settings, IReadOnlyList<SlaPolicy> Policies) Load(string path)
    {
        var file = JsonSerializer.Deserialize<DefaultPoliciesFile>(File.ReadAllText(path), Json)
                   ?? throw new InvalidOperationException($"{path} is empty.");
        var problems = new List<string>();
        foreach (var category in file.UrgentCategories.Where(c => !Contracts.Intake.ComplaintCategories.IsKnown(c)))
            problems.Add($"urgentCategories: '{category}' is not a complaint category.");
        var policies = new List<SlaPolicy>();
        for (var i = 0; i < file.Policies.Count; i++)
        {
            var (policy, errors) = PolicyValidator.Check(file.Policies[i], DateTimeOffset.UnixEpoch, "system:defaults");
            problems.AddRange(errors.SelectMany(e => e.Value.Select(message => $"policies[{i}].{e.Key}: {message}")));
            if (policy is not null)
                policies.Add(policy);
        }
        foreach (var duplicate in policies.GroupBy(p => p.Key).Where(g => g.Count() > 1))
            problems.Add($"policies: {duplicate.Key} appears more than once.");
        if (problems.Count > 0)
            throw new InvalidOperationException($"{path} is not valid:\n  " + string.Join("\n  ", problems));
        return (new PolicySettings(file.UrgentCategories.ToHashSet()), policies);
    }
}

/// <summary>Stores the default policies when the policy table is empty (the first start); later changes go through the API.</summary>
public sealed class DefaultPoliciesSeeder(
    PolicyStore store, IReadOnlyList<SlaPolicy> defaults, Messaging.Migrations.MigrationGate migrations, TimeProvider time, ILogger<DefaultPoliciesSeeder> logger)
    : BackgroundService
{
    public TaskCompletionSource Seeded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        if (await store.IsEmptyAsync(stoppingToken))
        {
            foreach (var policy in defaults.OrderBy(p => p.Version))
            {
                var (errors, _) = await store.AppendAsync(policy, time.GetUtcNow(), allowPast: true, stoppingToken);
                // Another instance seeding at the same moment stored it first: that is the same policy.
                if (errors.Count > 0)
                    logger.LogInformation("Default policy {Key} not stored: {Errors}", policy.Key, string.Join("; ", errors.SelectMany(e => e.Value)));
            }
            logger.LogInformation("Stored {Count} default SLA policies", defaults.Count);
        }
        Seeded.TrySetResult();
    }
}
