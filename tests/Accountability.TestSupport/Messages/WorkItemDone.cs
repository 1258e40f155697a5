namespace Accountability.TestSupport.Messages;

/// <summary>
/// A message for messaging tests. It lives here, not in a test project, so a separate relay
/// process can resolve the same type by name.
/// </summary>
public sealed record WorkItemDone
{
    public required Guid WorkId { get; init; }
    public required string Run { get; init; }
    public bool Poison { get; init; }
}
