using Accountability.Contracts.Directory;
using Accountability.Intake.Data;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Intake.Consumers;

/// <summary>Keeps intake's copy of unit names current, so the public view never reads the assignment service's tables.</summary>
public sealed class DirectoryPublishedConsumer(Accountability.Messaging.Inbox.Inbox inbox) : IConsumer<DirectoryPublished>
{
    public Task Consume(ConsumeContext<DirectoryPublished> context) =>
        inbox.ProcessOnceAsync(nameof(DirectoryPublishedConsumer), context.RequireMessageId(),
            (transaction, cancellationToken) => DirectoryCopy.ReplaceIfNewerAsync(transaction, context.Message.Version, context.Message.Directory, cancellationToken),
            context.CancellationToken);
}

public sealed class DirectoryPublishedConsumerDefinition : RetryingConsumerDefinition<DirectoryPublishedConsumer>;
