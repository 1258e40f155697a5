namespace Accountability.Contracts;

/// <summary>
/// A message that must not be published while no queue takes it: the relay publishes it as mandatory, and one the broker
/// returns stays in the outbox to be tried again. For messages newer than some of their consumers, where a rolling upgrade
/// could otherwise publish into an exchange nobody is bound to yet.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class MustReachAQueueAttribute : Attribute;
