namespace Accountability.Contracts.Directory;

/// <summary>A member of the department. The id is the subject of that person's tokens.</summary>
public sealed record OrgPerson
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required string Badge { get; init; }
    public required string UnitId { get; init; }
    public required IReadOnlyList<string> Roles { get; init; }

    /// <summary>The next person up the chain of command; null only for the chief.</summary>
    public string? SupervisorId { get; init; }

    public bool Active { get; init; } = true;

    /// <summary>Work e-mail for notifications (staff, never complainants).</summary>
    public string? Email { get; init; }

    /// <summary>
    /// For dispatchers: the units whose cases (held by the unit or by one of its members) they may hand off,
    /// e.g. at a shift change or when the router's choice is unavailable. Empty for everyone else.
    /// </summary>
    public IReadOnlyList<string> DispatchesFor { get; init; } = [];

    /// <summary>Optional signed-webhook endpoint for notifications.</summary>
    public string? WebhookUrl { get; init; }
}
