namespace Accountability.Messaging.Bus;

/// <summary>Settings under "RabbitMq": one amqp:// URI with credentials and virtual host.</summary>
public sealed class RabbitMqOptions
{
    public const string Section = "RabbitMq";

    public string Uri { get; set; } = "amqp://guest:guest@127.0.0.1:5672/";

    public (string Host, ushort Port, string VirtualHost, string User, string Password) Parse()
    {
        if (!System.Uri.TryCreate(Uri, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
            throw new InvalidOperationException("RabbitMq:Uri must be an absolute amqp:// or amqps:// URI.");
        var credentials = uri.UserInfo.Split(':', 2);
        var user = credentials.Length > 0 && credentials[0].Length > 0 ? System.Uri.UnescapeDataString(credentials[0]) : "guest";
        var password = credentials.Length > 1 ? System.Uri.UnescapeDataString(credentials[1]) : "guest";
        var path = uri.AbsolutePath.TrimStart('/');
        var virtualHost = path.Length == 0 ? "/" : System.Uri.UnescapeDataString(path);
        var port = uri.IsDefaultPort || uri.Port < 0 ? (ushort)(uri.Scheme == "amqps" ? 5671 : 5672) : (ushort)uri.Port;
        return (uri.Host, port, virtualHost, user, password);
    }
}
