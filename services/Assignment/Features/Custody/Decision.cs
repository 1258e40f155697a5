namespace Accountability.Assignment.Features.Custody;

/// <summary>The outcome of <see cref="CustodyDecider.Decide"/>: events to apply and publish, or a refusal.</summary>
public abstract record Decision
{
    private Decision()
    {
    }

    /// <summary>The events, in order, each with the next CaseVersion. Never empty.</summary>
    public sealed record Accepted(IReadOnlyList<object> Events) : Decision;

    public sealed record Refused(Refusal Refusal) : Decision;
}

/// <summary>
/// Why a command was not carried out: a stable machine code (<see cref="RefusalCodes"/>) and a sentence for people;
/// <see cref="Field"/> names the request field at fault (e.g. <c>team[1]</c>) when one is.
/// </summary>
public sealed record Refusal(string Code, string Reason, string? Field = null);
