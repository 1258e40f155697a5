using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;

namespace Accountability.Notification.Features.Delivery.Email;

/// <summary>
/// A small SMTP client (RFC 5321) over a TCP socket: EHLO (HELO as fallback), MAIL FROM, RCPT TO,
/// DATA with dot-stuffing, QUIT. One connection per message keeps failure handling simple: a
/// message is sent exactly when the relay has answered 250 to its DATA.
/// </summary>
public sealed class SmtpRelay(IOptions<NotificationOptions> options, TimeProvider time)
{
    public bool IsConfigured => !string.IsNullOrWhiteSpace(options.Value.Smtp.Host);

    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        var settings = options.Value.Smtp;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        var token = timeout.Token;

        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(settings.Host, settings.Port, token);
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        await using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\r\n", AutoFlush = false };

        await ExpectAsync(reader, "the greeting", token, 220);
        await writer.WriteLineAsync($"EHLO {settings.HeloName}".AsMemory(), token);
        await writer.FlushAsync(token);
        var (ehloCode, _) = await ReadReplyAsync(reader, token);
        if (ehloCode != 250)
            await CommandAsync(writer, reader, $"HELO {settings.HeloName}", "HELO", token, 250);

        await CommandAsync(writer, reader, $"MAIL FROM:<{message.From}>", "MAIL FROM", token, 250);
        await CommandAsync(writer, reader, $"RCPT TO:<{message.To}>", "RCPT TO", token, 250, 251);
        await CommandAsync(writer, reader, "DATA", "DATA", token, 354);

        var content = MimeWriter.Write(message, time.GetLocalNow());
        await writer.WriteAsync(DotStuff(content).AsMemory(), token);
        await writer.WriteAsync(".\r\n".AsMemory(), token);
        await writer.FlushAsync(token);
        await ExpectAsync(reader, "the end of DATA", token, 250);

        // The message is accepted; a failed goodbye must not make it look unsent.
        try
        {
            await CommandAsync(writer, reader, "QUIT", "QUIT", token, 221);
        }
        catch (Exception exception) when (exception is IOException or SmtpReplyException or OperationCanceledException or SocketException)
        {
        }
    }

    /// <summary>RFC 5321 §4.5.2: a line starting with "." gets a second one; the body ends with CRLF.</summary>
    public static string DotStuff(string content)
    {
        var normalised = content.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
        if (!normalised.EndsWith("\r\n", StringComparison.Ordinal))
            normalised += "\r\n";
        var stuffed = normalised.Replace("\r\n.", "\r\n..", StringComparison.Ordinal);
        return stuffed.StartsWith('.') ? "." + stuffed : stuffed;
    }

    private static async Task CommandAsync(StreamWriter writer, StreamReader reader, string line, string command, CancellationToken token, params int[] expected)
    {
        await writer.WriteLineAsync(line.AsMemory(), token);
        await writer.FlushAsync(token);
        await ExpectAsync(reader, command, token, expected);
    }

    private static async Task ExpectAsync(StreamReader reader, string command, CancellationToken token, params int[] expected)
    {
        var (code, text) = await ReadReplyAsync(reader, token);
        if (!expected.Contains(code))
            throw new SmtpReplyException(command, code, text);
    }

    /// <summary>Reads one reply, joining the "250-" continuation lines of a multi-line reply.</summary>
    private static async Task<(int Code, string Text)> ReadReplyAsync(StreamReader reader, CancellationToken token)
    {
        var text = new StringBuilder();
        while (true)
        {
            var line = await reader.ReadLineAsync(token) ?? throw new IOException("The SMTP relay closed the connection.");
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code))
                throw new IOException("The SMTP relay sent a line that is not a reply.");
            text.Append(line.Length > 4 ? line[4..] : "").Append(' ');
            if (line.Length == 3 || line[3] != '-')
                return (code, text.ToString().Trim());
        }
    }
}
