namespace Accountability.Contracts.Custody;

/// <summary>Sent by the escalation service: move the case to this supervisor. Only the assignment service moves custody.</summary>
public sealed record EscalateCase
{
    public required Guid CaseId { get; init; }

    /// <summary>The supervisor who takes the case.</summary>
    public required string ToPersonId { get; init; }

    public required string Reason { get; init; }

    /// <summary>The SLA clock that breached: acknowledge, handoff-accept, first-contact, resolution or statutory.</summary>
    public required string Clock { get; init; }

    /// <summary>1 = the owner's first supervisor, 2 = the next one up, ...</summary>
    public required int Level { get; init; }

    public required DateTimeOffset RequestedAt { get; init; }
}
