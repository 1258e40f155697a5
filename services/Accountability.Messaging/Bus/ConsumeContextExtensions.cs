using MassTransit;

namespace Accountability.Messaging.Bus;

public static class ConsumeContextExtensions
{
    /// <summary>The inbox needs a message id; a message without one cannot be de-duplicated, so it is refused.</summary>
    public static Guid RequireMessageId(this ConsumeContext context) =>
        context.MessageId ?? throw new InvalidOperationException(
            $"A {context.ReceiveContext.InputAddress} message arrived without a MessageId; it cannot be processed idempotently.");
}
