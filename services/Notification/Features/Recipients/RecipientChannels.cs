using Accountability.Contracts.Directory;
using Accountability.Notification.Features.Planning;

namespace Accountability.Notification.Features.Recipients;

/// <summary>Which channels a member of staff is told on: the ones the directory gives them, narrowed by their preference.</summary>
public static class RecipientChannels
{
    public static IReadOnlyList<string> For(OrgPerson? person, IReadOnlyList<string>? preferred)
    {
        // Unknown, or without any address: still one e-mail delivery, which fails visibly saying why.
        if (person is null)
            return [Channels.Email];
        var available = new List<string>();
        if (!string.IsNullOrWhiteSpace(person.Email))
            available.Add(Channels.Email);
        if (!string.IsNullOrWhiteSpace(person.WebhookUrl))
            available.Add(Channels.Webhook);
        if (available.Count == 0)
            return [Channels.Email];
        if (preferred is null)
            return available;
        var chosen = available.Where(preferred.Contains).ToList();
        // A preference for a channel the person has no address for must not silence them entirely.
        return chosen.Count > 0 ? chosen : available;
    }
}
