using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Accountability.Notification.Features.Delivery.Webhooks;

/// <summary>
/// The signature of a webhook: "t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "&lt;t&gt;.&lt;body&gt;"&gt;". The
/// timestamp is signed with the body, so a receiver can refuse an old request replayed later.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "X-Accountability-Signature";
    public const string DeliveryHeader = "X-Accountability-Delivery";
    public const string TemplateHeader = "X-Accountability-Template";

    public static string Sign(string secret, long unixSeconds, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{unixSeconds.ToString(CultureInfo.InvariantCulture)}.{body}"));
        return $"t={unixSeconds.ToString(CultureInfo.InvariantCulture)},v1={Convert.ToHexStringLower(mac)}";
    }
}
