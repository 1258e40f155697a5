using System.Text.Json;
using Accountability.Escalation.Features.Policies;
using Accountability.Contracts.Escalation;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Dapper;
using Npgsql;

namespace Accountability.Escalation.Data;

/// <summary>Policy versions in the database: read whole (the table is small), appended one at a time.</summary>
public sealed class PolicyStore(ServiceDatabase database)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<PolicyCatalog> LoadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await LoadAsync(connection, null, cancellationToken);
    }

    private PolicyCatalog? known;

    /// <summary>
    /// A catalog that holds every version in <paramref name="keys"/>. A stored version never changes, so the last catalog
    /// read answers for the versions it holds for good; only a version it lacks (added since, perhaps by another
    /// instance) makes it read the table again. Picking the version a new case starts under is not a lookup by key:
    /// that reads the table (<see cref="LoadAsync(NpgsqlConnection, NpgsqlTransaction?, CancellationToken)"/>).
    /// </summary>
    public async Task<PolicyCatalog> HoldingAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, IEnumerable<PolicyKey?> keys, CancellationToken cancellationToken)
    {
        var catalog = known;
        if (catalog is not null && keys.All(key => key is null || catalog.Find(key) is not null))
            return catalog;
        return known = await LoadAsync(connection, transaction, cancellationToken);
    }

    public static async Task<PolicyCatalog> LoadAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<PolicyRow>(new CommandDefinition(
            """
            select category as Category, priority as Priority, version as Version, effective_from as EffectiveFrom,
                   clocks::text as Clocks, warn_at as WarnAt, reason as Reason, created_by as CreatedBy
            from policies order by category, priority, version
            """, transaction: transaction, cancellationToken: cancellationToken));
        return new PolicyCatalog(rows.Select(r => new SlaPolicy
        {
            Category = r.Category,
            Priority = r.Priority,
            Version = r.Version,
            EffectiveFrom = DbTime.Utc(r.EffectiveFrom),
            Clocks = JsonSerializer.Deserialize<Dictionary<string, ClockLimit>>(r.Clocks, Json)!,
            WarnAtPercent = r.WarnAt,
            Reason = r.Reason,
            CreatedBy = r.CreatedBy,
        }));
    }

    /// <summary>
    /// Appends a version after checking it against the latest one of its (category, priority), under
    /// a table lock so two admins cannot both add "the next" version. Returns the sequence errors, if any.
    /// </summary>
    public async Task<(Dictionary<string, string[]> Errors, bool Conflict)> AppendAsync(SlaPolicy policy, DateTimeOffset now, bool allowPast, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("lock table policies in share row exclusive mode", transaction: transaction, cancellationToken: cancellationToken));
        var latest = (await LoadAsync(connection, transaction, cancellationToken)).Latest(policy.Category, policy.Priority);
        var errors = PolicyValidator.CheckSequence(policy, latest, now, allowPast);
        if (errors.Count > 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            var conflict = latest is not null && (policy.Version <= latest.Version || policy.EffectiveFrom <= latest.EffectiveFrom);
            return (errors, conflict);
        }
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into policies (category, priority, version, effective_from, clocks, warn_at, reason, created_by, created_at)
            values (@Category, @Priority, @Version, @EffectiveFrom, @Clocks::jsonb, @WarnAt, @Reason, @CreatedBy, @CreatedAt)
            """,
            new
            {
                policy.Category, policy.Priority, policy.Version, EffectiveFrom = policy.EffectiveFrom.ForDb(),
                Clocks = JsonSerializer.Serialize(policy.Clocks, Json), WarnAt = policy.WarnAtPercent.ToArray(),
                policy.Reason, policy.CreatedBy, CreatedAt = now.ForDb(),
            }, transaction, cancellationToken: cancellationToken));
        // In the same transaction: a version is never in force without being in the trail.
        await OutboxWriter.EnqueueAsync(transaction, new SlaPolicyVersionAdded
        {
            Category = policy.Category,
            Priority = policy.Priority,
            Version = policy.Version,
            EffectiveFrom = policy.EffectiveFrom,
            Clocks = policy.Clocks.ToDictionary(c => c.Key, c => $"{c.Value.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture)} {c.Value.Unit}"),
            WarnAtPercent = [.. policy.WarnAtPercent],
            Actor = policy.CreatedBy,
            Reason = policy.Reason,
            OccurredAt = now,
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ([], false);
    }

    public async Task<bool> IsEmptyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return !await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select exists (select 1 from policies)", cancellationToken: cancellationToken));
    }

    // Properties, not a positional record: Dapper hands int[] columns over as System.Array, which no constructor matches.
    private sealed class PolicyRow
    {
        public string Category { get; init; } = "";
        public string Priority { get; init; } = "";
        public int Version { get; init; }
        public DateTime EffectiveFrom { get; init; }
        public string Clocks { get; init; } = "{}";
        public int[] WarnAt { get; init; } = [];
        public string Reason { get; init; } = "";
        public string CreatedBy { get; init; } = "";
    }
}
