namespace Accountability.Contracts.Escalation;

/// <summary>A clock of a case ran out. An EscalationRaised follows, naming who takes it up.</summary>
public sealed record SlaBreached
{
    public required Guid CaseId { get; init; }

    /// <summary>Numbered by the escalation service, +1 per event it says about this case (its own counter, separate from the assignment service's CaseVersion): consumers use it to drop duplicates.</summary>
    public required long CaseVersion { get; init; }

    /// <summary>"system:escalation" for timers and the gap monitor, else the person id who acted.</summary>
    public required string Actor { get; init; }

    /// <summary>Why it happened, in words a supervisor can act on.</summary>
    public required string Reason { get; init; }

    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>A value of <see cref="SlaClocks"/>.</summary>
    public required string Clock { get; init; }

    /// <summary>Always 100: a breach is the whole budget spent.</summary>
    public required int Percent { get; init; }

    public required DateTimeOffset DueAt { get; init; }

    /// <summary>The owner at the breach: "person" or "unit".</summary>
    public required string OwnerKind { get; init; }
    public required string OwnerId { get; init; }

    public required int PolicyVersion { get; init; }

    /// <summary>Fired after its due instant (after downtime): <see cref="Late"/> is true and <see cref="Lateness"/> says by how much.</summary>
    public required bool Late { get; init; }
    public required TimeSpan Lateness { get; init; }
}
