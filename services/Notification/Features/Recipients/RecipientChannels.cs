using Accountability.Contracts.Directory;
using Accountability.Notification.Features.Planning;

namespace Accountability.Notification.Features.Recipients;

/// <summary>
/// Which channels a member of staff can be told on: the ones the directory gives them. Their preference narrows these
/// when the deliveries are recorded (<see cref="Data.DeliveryStore.RecordStatement"/>), in the statement sent with the
/// planning transaction's COMMIT, so planning reads nothing for it.
/// </summary>
public static class RecipientChannels
{
    public static IReadOnlyList<string> Available(OrgPerson? person)
    {
        // Unknown, or without any address: still one e-mail delivery, which fails visibly saying why.
        if (person is null)
            return [Channels.Email];
        var available = new List<string>();
        if (!string.IsNullOrWhiteSpace(person.Email))
            available.Add(Channels.Email);
        if (!string.IsNullOrWhiteSpace(person.WebhookUrl))
            available.Add(Channels.Webhook);
        return available.Count == 0 ? [Channels.Email] : available;
    }
}
