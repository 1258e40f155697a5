using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Accountability.Notification.Tests.Support;

/// <summary>
/// A real SMTP server on a loopback socket (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA with dot-stuffing,
/// RSET, NOOP, QUIT) that keeps every message it accepts. It can be stopped and started again on
/// the same port, to play a relay that is down for a while.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedMail> messages = new();
    private readonly ConcurrentDictionary<TcpClient, byte> sessions = new();
    private TcpListener? listener;
    private CancellationTokenSource? stopping;
    private Task? accepting;

    private SmtpTestServer(int port) => Port = port;

    public int Port { get; }

    public IReadOnlyCollection<ReceivedMail> Messages => messages;

    public static SmtpTestServer Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var server = new SmtpTestServer(port);
        server.Resume();
        return server;
    }

    /// <summary>Listens again on the same port.</summary>
    public void Resume()
    {
        listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        stopping = new CancellationTokenSource();
        accepting = AcceptAsync(listener, stopping.Token);
    }

    /// <summary>Stops listening and drops every open session: clients see connection refused.</summary>
    public async Task StopAsync()
    {
        stopping?.Cancel();
        listener?.Stop();
        foreach (var client in sessions.Keys)
            client.Dispose();
        if (accepting is not null)
            await accepting;
        listener = null;
    }

    public IReadOnlyList<ReceivedMail> To(string address) =>
        [.. messages.Where(m => m.Recipients.Contains(address, StringComparer.OrdinalIgnoreCase))];

    /// <summary>The copies of one delivery (its id rides in a header): exactly one, when all is well.</summary>
    public IReadOnlyList<ReceivedMail> ForDelivery(string deliveryId) =>
        [.. messages.Where(m => m.Headers.GetValueOrDefault("X-Accountability-Delivery") == deliveryId)];

    public IReadOnlyList<ReceivedMail> Containing(string text) =>
        [.. messages.Where(m => m.Text.Contains(text, StringComparison.Ordinal) || m.Subject.Contains(text, StringComparison.Ordinal))];

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task AcceptAsync(TcpListener server, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await server.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            sessions[client] = 0;
            _ = Task.Run(async () =>
            {
                try
                {
                    await SessionAsync(client, cancellationToken);
                }
                catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    // The client went away, or the server is stopping.
                }
                finally
                {
                    sessions.TryRemove(client, out _);
                    client.Dispose();
                }
            }, CancellationToken.None);
        }
    }

    private async Task SessionAsync(TcpClient client, CancellationToken cancellationToken)
    {
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.UTF8);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\r\n", AutoFlush = true };
        await writer.WriteLineAsync("220 smtp.test ESMTP ready");
        string? from = null;
        var recipients = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            var verb = line.Split(' ', 2)[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO":
                    await writer.WriteAsync("250-smtp.test greets you\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n");
                    break;
                case "HELO":
                    await writer.WriteLineAsync("250 smtp.test");
                    break;
                case "MAIL" when line.StartsWith("MAIL FROM:", StringComparison.OrdinalIgnoreCase):
                    from = Address(line["MAIL FROM:".Length..]);
                    recipients.Clear();
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "RCPT" when line.StartsWith("RCPT TO:", StringComparison.OrdinalIgnoreCase):
                    if (from is null)
                    {
                        await writer.WriteLineAsync("503 MAIL first");
                        break;
                    }
                    recipients.Add(Address(line["RCPT TO:".Length..]));
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "DATA":
                    if (recipients.Count == 0)
                    {
                        await writer.WriteLineAsync("503 RCPT first");
                        break;
                    }
                    await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                    var data = new StringBuilder();
                    while (await reader.ReadLineAsync(cancellationToken) is { } dataLine && dataLine != ".")
                        data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                    messages.Enqueue(ReceivedMail.Parse(from!, [.. recipients], data.ToString()));
                    from = null;
                    recipients.Clear();
                    await writer.WriteLineAsync("250 OK queued");
                    break;
                case "RSET":
                    from = null;
                    recipients.Clear();
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "NOOP":
                    await writer.WriteLineAsync("250 OK");
                    break;
                case "QUIT":
                    await writer.WriteLineAsync("221 Bye");
                    return;
                default:
                    await writer.WriteLineAsync("502 Command not implemented");
                    break;
            }
        }
    }

    private static string Address(string argument)
    {
        var trimmed = argument.Trim();
        var end = trimmed.IndexOf('>');
        return trimmed.StartsWith('<') && end > 0 ? trimmed[1..end] : trimmed.Split(' ')[0];
    }
}
