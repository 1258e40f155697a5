using Accountability.Contracts.Directory;
using Accountability.Escalation.Data;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Escalation.Consumers;

/// <summary>Keeps our own copy of the org chart; escalation never reads assignment's tables.</summary>
public sealed class DirectoryPublishedConsumer(Messaging.Inbox.Inbox inbox) : IConsumer<DirectoryPublished>
{
    public Task Consume(ConsumeContext<DirectoryPublished> context) =>
        inbox.ProcessOnceAsync(nameof(DirectoryPublishedConsumer), context.RequireMessageId(),
            (transaction, cancellationToken) => OrgDirectoryStore.StoreAsync(transaction, context.Message, cancellationToken),
            context.CancellationToken);
}

public sealed class DirectoryPublishedConsumerDefinition : RetryingConsumerDefinition<DirectoryPublishedConsumer>;
