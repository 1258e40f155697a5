using System.Net.Mail;

namespace Accountability.Notification.Features.Recipients;

/// <summary>Is an address from the directory (or a complainant contact) usable for a channel?</summary>
public static class ContactAddresses
{
    public static bool IsValidEmail(string? address) =>
        !string.IsNullOrWhiteSpace(address)
        && address.IndexOfAny(['\r', '\n', '<', '>', ' ']) < 0
        && MailAddress.TryCreate(address, out var parsed)
        && parsed.Address == address
        && parsed.Host.Contains('.', StringComparison.Ordinal);

    public static bool IsValidWebhook(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https"
        && string.IsNullOrEmpty(uri.UserInfo)
        && !string.IsNullOrEmpty(uri.Host);
}
