using Accountability.Notification.Features.Delivery;
using Npgsql;

namespace Accountability.Notification.Features.Planning;

/// <summary>
/// The inbox, plus a wake-up for the dispatcher once the consumer's deliveries are committed. Grouped: the messages of every
/// planning consumer that arrive together are planned in one transaction (<see cref="Messaging.Inbox.GroupedInbox"/>), and
/// the deliveries they plan are recorded together at its end, in one statement sent with its COMMIT (<see cref="Notifier.TakePlanned"/>).
/// </summary>
public sealed class NotifyingInbox(Messaging.Inbox.GroupedInbox inbox, Notifier notifier, DeliveryWakeup wakeup)
{
    public async Task ProcessOnceAsync(string consumer, Guid messageId, Func<NpgsqlTransaction, CancellationToken, Task> apply, CancellationToken cancellationToken)
    {
        if (await inbox.ProcessOnceAsync(consumer, messageId, async (transaction, token) =>
            {
                notifier.BeginPlanning(transaction);
                await apply(transaction, token);
            }, cancellationToken, notifier.TakePlanned))
            wakeup.Signal();
    }
}
