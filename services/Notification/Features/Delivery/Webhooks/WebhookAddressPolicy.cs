using System.Net;
using System.Net.Sockets;

namespace Accountability.Notification.Features.Delivery.Webhooks;

/// <summary>
/// Where a webhook may go. The directory names the URL, and whoever may edit the directory could otherwise
/// make this service post to the department's own internals (the broker's management API, a database's
/// HTTP port, a cloud metadata address). So loopback, private, link-local, shared, multicast and reserved
/// addresses are refused, unless a configured network (<c>Notification:Webhooks:AllowedNetworks</c>) allows
/// them. Checked on the address actually connected to, after DNS, so a name that resolves inward, or
/// changes what it resolves to between a check and the connect, cannot get through.
/// </summary>
public sealed class WebhookAddressPolicy(IReadOnlyList<IPNetwork> allowed)
{
    private static readonly IPNetwork[] Internal =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    public bool Allows(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        return allowed.Any(network => network.Contains(address)) || !Internal.Any(network => network.Contains(address));
    }

    /// <summary>For the webhook client's handler: resolve, refuse inward addresses, connect to the first allowed one.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var refused = addresses.Where(a => !Allows(a)).ToList();
        if (refused.Count > 0)
            throw new WebhookAddressRefusedException(
                $"The webhook address {host} is an internal address ({refused[0]}), which webhooks may not reach. "
                + "Allow its network in Notification:Webhooks:AllowedNetworks if it is really meant.");

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A webhook aimed at an address it may not reach: permanent, retrying will not change the address.</summary>
public sealed class WebhookAddressRefusedException(string message) : Exception(message);
