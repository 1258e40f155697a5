using Accountability.Contracts.Directory;
using Accountability.Messaging.Bus;
using MassTransit;

namespace Accountability.Messaging.Identity;

/// <summary>Every service keeps who may call it from the directory in force (identity from the directory, not the token).</summary>
public sealed class PeopleInForceConsumer(Inbox.Inbox inbox, PeopleInForce people) : IConsumer<DirectoryPublished>
{
    public async Task Consume(ConsumeContext<DirectoryPublished> context)
    {
        await inbox.ProcessOnceAsync(nameof(PeopleInForceConsumer), context.RequireMessageId(),
            (transaction, cancellationToken) => PeopleInForce.StoreIfNewerAsync(transaction, context.Message.Version, context.Message.Directory, cancellationToken),
            context.CancellationToken);
        await people.ReloadAsync(context.CancellationToken);
    }
}

public sealed class PeopleInForceConsumerDefinition : RetryingConsumerDefinition<PeopleInForceConsumer>;
