using System.Reflection;
using Accountability.Contracts.Intake;

namespace Accountability.Audit.Features.Recording;

/// <summary>How the trail reads one message type: its name, its producing service, when it happened, and its case.</summary>
public sealed record AuditedMessageType(
    Type Type,
    string Name,
    string Source,
    PropertyInfo OccurredAt,
    PropertyInfo? CaseId,
    PropertyInfo? CaseVersion)
{
    public DateTimeOffset OccurredAtOf(object message) => (DateTimeOffset)OccurredAt.GetValue(message)!;

    public Guid? CaseIdOf(object message) => CaseId?.GetValue(message) as Guid?;

    public long? CaseVersionOf(object message) => CaseVersion?.GetValue(message) as long?;
}

/// <summary>
/// Every message of the contracts assembly, found by reflection so that a new contract is audited
/// without anyone remembering to. A message is a public sealed record that no other contract uses
/// as a part (AllegationFinding, OrgPerson... are parts). When it happened is its non-nullable
/// OccurredAt, else its only non-nullable DateTimeOffset (ReceivedAt, PublishedAt, SentAt...);
/// a message with neither stops the start rather than go unaudited.
/// </summary>
public static class AuditedMessages
{
    // The contract area says who speaks; commands are recorded under the service that sends them.
    private static readonly Dictionary<string, string> SourceByArea = new(StringComparer.Ordinal)
    {
        ["Intake"] = "intake",
        ["Custody"] = "assignment",
        ["Directory"] = "assignment",
        ["Escalation"] = "escalation",
        ["EarlyWarning"] = "escalation",
        ["Notification"] = "notification",
    };

    private static readonly Dictionary<string, string> SourceByMessage = new(StringComparer.Ordinal)
    {
        ["EscalateCase"] = "escalation",
    };

    public static Assembly ContractsAssembly => typeof(ComplaintReceived).Assembly;

    /// <summary>
    /// Messages that carry several others, each recorded as the message it stands for, never as a record of their own
    /// (Consumers.NotificationsSentConsumer, Consumers.CaseEventsCommittedConsumer). What they carry stays a message. Before
    /// All, which reads it.
    /// </summary>
    public static IReadOnlySet<Type> Envelopes { get; } = new HashSet<Type>
    {
        typeof(Contracts.Notification.NotificationsSent),
        typeof(Contracts.Custody.CaseEventsCommitted),
    };

    public static IReadOnlyList<AuditedMessageType> All { get; } = Discover(ContractsAssembly);

    private static readonly Dictionary<Type, AuditedMessageType> ByType = All.ToDictionary(m => m.Type);

    public static AuditedMessageType For(Type type) =>
        ByType.TryGetValue(type, out var audited) ? audited : throw new ArgumentException($"{type.FullName} is not an audited message.", nameof(type));

    /// <summary>
    /// Public sealed records of the assembly that are not a part of another record. An envelope is not a message, nor are
    /// the items it lists; what an item holds (NotificationSent) is not a part for being held there.
    /// </summary>
    public static IReadOnlyList<Type> MessageTypes(Assembly contracts)
    {
        var records = contracts.GetExportedTypes().Where(IsSealedRecord).ToList();
        var items = records.Where(Envelopes.Contains).SelectMany(PropertyTypes).ToHashSet();
        var parts = records.Where(r => !Envelopes.Contains(r) && !items.Contains(r)).SelectMany(PropertyTypes).ToHashSet();
        return [.. records.Where(r => !Envelopes.Contains(r) && !items.Contains(r) && !parts.Contains(r)).OrderBy(r => r.FullName, StringComparer.Ordinal)];
    }

    private static IEnumerable<Type> PropertyTypes(Type record) => record.GetProperties().SelectMany(p => Unwrap(p.PropertyType));

    private const string AccessRecordArea = "Audit";

    /// <summary>
    /// Messages about the trail itself (its signed heads, announced to witnesses). Recording them would add a
    /// record after every checkpoint, and so a checkpoint after every such record, forever.
    /// </summary>
    public const string NotRecordedArea = "Witness";

    public static IReadOnlyList<AuditedMessageType> Discover(Assembly contracts)
    {
        var audited = MessageTypes(contracts).Where(type => type.Namespace?.Split('.')[^1] != NotRecordedArea).Select(Describe).ToList();
        var clash = audited.GroupBy(a => a.Name).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new InvalidOperationException($"Two contracts are both named {clash.Key}; the trail records messages by name.");
        return audited;
    }

    private static AuditedMessageType Describe(Type type)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance);
        var occurredAt = properties.FirstOrDefault(p => p.Name == "OccurredAt" && p.PropertyType == typeof(DateTimeOffset));
        if (occurredAt is null)
        {
            var instants = properties.Where(p => p.PropertyType == typeof(DateTimeOffset)).ToList();
            occurredAt = instants.Count == 1
                ? instants[0]
                : throw new InvalidOperationException(
                    $"{type.FullName} has no OccurredAt and {instants.Count} DateTimeOffset properties: the audit trail cannot tell when it happened. Add OccurredAt.");
        }
        var area = type.Namespace?.Split('.')[^1] ?? "";
        // Records about reads (the access log) sit beside the case trails, in the global chain only: a read
        // is not a step in a case's life, and a read of an unknown case must not make that case exist.
        var caseId = area == AccessRecordArea ? null
            : properties.FirstOrDefault(p => p.Name == "CaseId" && (p.PropertyType == typeof(Guid) || p.PropertyType == typeof(Guid?)));
        var caseVersion = properties.FirstOrDefault(p => p.Name == "CaseVersion" && p.PropertyType == typeof(long));
        var source = SourceByMessage.GetValueOrDefault(type.Name) ?? SourceByArea.GetValueOrDefault(area) ?? area.ToLowerInvariant();
        return new AuditedMessageType(type, type.Name, source, occurredAt, caseId, caseVersion);
    }

    private static bool IsSealedRecord(Type type) =>
        type is { IsClass: true, IsSealed: true, IsAbstract: false } && type.GetMethod("<Clone>$") is not null;

    private static IEnumerable<Type> Unwrap(Type type)
    {
        yield return Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsGenericType)
            foreach (var argument in type.GetGenericArguments())
                foreach (var inner in Unwrap(argument))
                    yield return inner;
        if (type.IsArray)
            foreach (var inner in Unwrap(type.GetElementType()!))
                yield return inner;
    }
}
