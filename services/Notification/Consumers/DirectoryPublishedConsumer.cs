using Accountability.Contracts.Directory;
using Accountability.Messaging.Bus;
using Accountability.Notification.Data;
using Accountability.Notification.Features.Recipients;
using MassTransit;

namespace Accountability.Notification.Consumers;

/// <summary>
/// Keeps this service's copy of the org chart current, and reports every address in it that can
/// never be delivered to, so it is fixed before anyone misses a message.
/// </summary>
public sealed class DirectoryPublishedConsumer(Messaging.Inbox.Inbox inbox, ILogger<DirectoryPublishedConsumer> logger) : IConsumer<DirectoryPublished>
{
    public async Task Consume(ConsumeContext<DirectoryPublished> context)
    {
        var published = context.Message;
        var replaced = false;
        await inbox.ProcessOnceAsync(nameof(DirectoryPublishedConsumer), context.RequireMessageId(), async (transaction, cancellationToken) =>
            replaced = await DirectoryCopy.ReplaceIfNewerAsync(transaction, published.Version, published.Directory, cancellationToken),
            context.CancellationToken);
        if (!replaced)
            return;

        logger.LogInformation("Directory version {Version} is now in force for notifications", published.Version);
        foreach (var person in published.Directory.People)
        {
            // The person id only: an address that is wrong is still an address.
            if (!string.IsNullOrWhiteSpace(person.Email) && !ContactAddresses.IsValidEmail(person.Email))
                logger.LogWarning("Directory version {Version}: person {PersonId} has a malformed e-mail address; their e-mail notifications will fail until it is corrected",
                    published.Version, person.Id);
            if (!string.IsNullOrWhiteSpace(person.WebhookUrl) && !ContactAddresses.IsValidWebhook(person.WebhookUrl))
                logger.LogWarning("Directory version {Version}: person {PersonId} has a malformed webhook URL; their webhook notifications will fail until it is corrected",
                    published.Version, person.Id);
        }
    }
}

public sealed class DirectoryPublishedConsumerDefinition : RetryingConsumerDefinition<DirectoryPublishedConsumer>;
