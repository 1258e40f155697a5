namespace Accountability.Assignment.Features.Custody;

/// <summary>How assignment publishes the custody events it commits.</summary>
public sealed class CustodyEventsOptions
{
    public const string Section = "Custody";

    /// <summary>
    /// True (the default): a transaction's events on a case go out in one <c>CaseEventsCommitted</c>. False: each alone,
    /// as before it. Set false while an older assignment instance still runs beside this one: its relay shares the outbox
    /// and would set an envelope it cannot read aside for good (README, "How messages move").
    /// </summary>
    public bool EventsInOneMessage { get; set; } = true;
}
