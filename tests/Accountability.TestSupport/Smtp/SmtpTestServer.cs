using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Accountability.TestSupport.Smtp;

/// <summary>
/// A real SMTP server on a free loopback port (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA with
/// dot-unstuffing, RSET, NOOP, QUIT). It accepts every message and keeps it, so a test reads mail the
/// way a complainant would. No TLS and no AUTH: it stands where a local relay would.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly List<ReceivedMail> received = [];
    private readonly List<Task> sessions = [];
    private readonly Task acceptLoop;

    private SmtpTestServer(TcpListener listener)
    {
        this.listener = listener;
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        acceptLoop = AcceptAsync();
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>Every message accepted so far, oldest first.</summary>
    public IReadOnlyList<ReceivedMail> Received
    {
        get { lock (received) return [.. received]; }
    }

    public static SmtpTestServer Start()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new SmtpTestServer(listener);
    }

    /// <summary>Waits for the first message that <paramref name="match"/> accepts.</summary>
    public Task<ReceivedMail> WaitForAsync(Func<ReceivedMail, bool> match, string description, TimeSpan? timeout = null) =>
        Eventually.ReturnsAsync(() => Task.FromResult(Received.FirstOrDefault(match)), mail => mail is not null, description, timeout)!;

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        try
        {
            await acceptLoop;
        }
        catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        Task[] running;
        lock (sessions)
            running = [.. sessions];
        await Task.WhenAll(running.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            lock (sessions)
            {
                sessions.RemoveAll(t => t.IsCompleted);
                sessions.Add(Task.Run(() => ServeAsync(client)));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            await using var stream = client.GetStream();
            // Latin-1 maps every byte to one char, so an 8-bit line never breaks the session.
            using var reader = new StreamReader(stream, Encoding.Latin1, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
            await using var writer = new StreamWriter(stream, Encoding.Latin1, leaveOpen: true) { NewLine = "\r\n", AutoFlush = true };
            var token = stopping.Token;

            await writer.WriteLineAsync("220 e2e-smtp ESMTP ready".AsMemory(), token);
            string? from = null;
            var recipients = new List<string>();
            while (await reader.ReadLineAsync(token) is { } line)
            {
                var verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-e2e-smtp greets you".AsMemory(), token);
                        await writer.WriteLineAsync("250 8BITMIME".AsMemory(), token);
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 e2e-smtp".AsMemory(), token);
                        break;
                    case "MAIL":
                        from = Address(line);
                        recipients.Clear();
                        await writer.WriteLineAsync("250 OK".AsMemory(), token);
                        break;
                    case "RCPT":
                        if (from is null)
                        {
                            await writer.WriteLineAsync("503 MAIL first".AsMemory(), token);
                            break;
                        }
                        recipients.Add(Address(line));
                        await writer.WriteLineAsync("250 OK".AsMemory(), token);
                        break;
                    case "DATA":
                        if (from is null || recipients.Count == 0)
                        {
                            await writer.WriteLineAsync("503 MAIL and RCPT first".AsMemory(), token);
                            break;
                        }
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>".AsMemory(), token);
                        var data = await ReadDataAsync(reader, token);
                        lock (received)
                            received.Add(ReceivedMail.Parse(from, [.. recipients], data));
                        from = null;
                        recipients.Clear();
                        await writer.WriteLineAsync("250 OK queued".AsMemory(), token);
                        break;
                    case "RSET":
                        from = null;
                        recipients.Clear();
                        await writer.WriteLineAsync("250 OK".AsMemory(), token);
                        break;
                    case "NOOP":
                        await writer.WriteLineAsync("250 OK".AsMemory(), token);
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 Bye".AsMemory(), token);
                        return;
                    default:
                        await writer.WriteLineAsync("500 Command not recognised".AsMemory(), token);
                        break;
                }
            }
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The client went away, or the server is stopping: nothing to keep.
        }
    }

    /// <summary>The lines up to the lone ".", with the transport's dot-stuffing undone (RFC 5321 §4.5.2).</summary>
    private static async Task<string> ReadDataAsync(StreamReader reader, CancellationToken token)
    {
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(token) is { } line)
        {
            if (line == ".")
                return data.ToString();
            data.Append(line.StartsWith("..", StringComparison.Ordinal) ? line[1..] : line).Append("\r\n");
        }
        throw new IOException("The client closed the connection in the middle of DATA.");
    }

    /// <summary>The address between angle brackets of MAIL FROM:&lt;a&gt; or RCPT TO:&lt;b&gt;.</summary>
    private static string Address(string line)
    {
        var open = line.IndexOf('<', StringComparison.Ordinal);
        var close = line.IndexOf('>', open + 1);
        return open >= 0 && close > open ? line[(open + 1)..close] : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
    }
}
