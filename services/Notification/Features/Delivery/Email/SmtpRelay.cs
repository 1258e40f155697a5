using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using SmtpSecurity = Accountability.Notification.NotificationOptions.SmtpSecurity;

namespace Accountability.Notification.Features.Delivery.Email;

/// <summary>
/// Sends e-mail through the department's relay with MailKit: STARTTLS (or implicit TLS, or none, as
/// configured), AUTH when a user name is set, and a pool of open connections reused from message to
/// message: it keeps as many idle as can be sending at once (Workers × BatchSize), so a claim's sends,
/// which run side by side, find the connections the last claim left open. Every step has its own timeout. A message is
/// sent exactly when the relay has answered 250 to its DATA; anything else is a Retry or a Failed
/// with a reason that names the step and the cause, never the address or the password.
/// </summary>
public sealed class SmtpRelay : IAsyncDisposable
{
    /// <summary>A connection idle for longer is checked with NOOP before it carries a message.</summary>
    private static readonly TimeSpan CheckIdleAfter = TimeSpan.FromSeconds(5);

    private const string CertificateProblemKey = "accountability.smtp.certificate-problem";

    private readonly IOptions<NotificationOptions> options;
    private readonly TimeProvider time;
    private readonly RelayTrust trust;
    private readonly ConcurrentBag<Connection> idle = [];

    // The bag's own Count takes every one of its locks; this one is kept beside it.
    private int idleCount;

    public SmtpRelay(IOptions<NotificationOptions> options, TimeProvider time)
    {
        this.options = options;
        this.time = time;
        trust = new RelayTrust(options.Value.Smtp.TrustedCertificatePath);
    }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(options.Value.Smtp.Host);

    private NotificationOptions.SmtpSettings Settings => options.Value.Smtp;

    private string Relay => string.Create(CultureInfo.InvariantCulture, $"{Settings.Host}:{Settings.Port}");

    public async Task<SendOutcome> SendAsync(EmailMessage email, CancellationToken cancellationToken)
    {
        MimeMessage message;
        try
        {
            message = MailComposer.Compose(email, time.GetLocalNow());
        }
        catch (ParseException)
        {
            // The parser's message quotes the address.
            return new SendOutcome.Failed("An address of the message could not be written as MIME.");
        }

        var step = "connect";
        Connection? connection = null;
        try
        {
            connection = await RentAsync(s => step = s, cancellationToken);
            step = "send";
            await WithTimeoutAsync(token => connection.Client.SendAsync(message, token), cancellationToken);
            Return(connection);
            connection = null;
            return new SendOutcome.Sent();
        }
        // Two clocks guard a step: this token's and MailKit's socket timeout (the same length); whichever
        // fires first, the step ran out of time.
        catch (Exception exception) when (exception is TimeoutException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new SendOutcome.Retry(string.Create(CultureInfo.InvariantCulture,
                $"The SMTP relay {Relay} did not finish the {step} step within {Settings.Timeout.TotalSeconds:0.#} s."));
        }
        catch (NotSupportedException) when (step == "connect")
        {
            return new SendOutcome.Failed(
                $"The SMTP relay {Relay} does not offer STARTTLS, which Notification:Smtp:Security={Settings.Security} requires; nothing was sent.");
        }
        catch (NotSupportedException) when (step == "AUTH")
        {
            return new SendOutcome.Failed(
                $"The SMTP relay {Relay} offers no AUTH, but Notification:Smtp:UserName is set; nothing was sent.");
        }
        catch (AuthenticationException exception)
        {
            return new SendOutcome.Failed(
                $"The SMTP relay {Relay} refused authentication (AUTH) with the configured user name and password: {Redaction.Scrub(exception.Message)}");
        }
        catch (ServiceNotAuthenticatedException)
        {
            return new SendOutcome.Failed(
                $"The SMTP relay {Relay} requires authentication (AUTH): set Notification:Smtp:UserName and Notification:Smtp:Password.");
        }
        catch (SslHandshakeException exception)
        {
            return exception.Data[CertificateProblemKey] is string problem
                ? new SendOutcome.Failed($"The TLS handshake with the SMTP relay {Relay} was refused: {problem}; nothing was sent.")
                : new SendOutcome.Retry($"The TLS handshake with the SMTP relay {Relay} failed ({exception.InnerException?.GetType().Name ?? "no detail"}); nothing was sent.");
        }
        catch (SmtpCommandException exception)
        {
            var code = (int)exception.StatusCode;
            var command = exception.ErrorCode switch
            {
                SmtpErrorCode.SenderNotAccepted => "MAIL FROM",
                SmtpErrorCode.RecipientNotAccepted => "RCPT TO",
                SmtpErrorCode.MessageNotAccepted => "DATA",
                _ => step,
            };
            var reason = string.Create(CultureInfo.InvariantCulture, $"The SMTP relay {Relay} answered {code} to {command}: {Redaction.Scrub(exception.Message)}");
            // 4xx means "later"; 5xx means "never".
            return code is >= 400 and < 500 ? new SendOutcome.Retry(reason) : new SendOutcome.Failed(reason);
        }
        catch (Exception exception) when (exception is IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException)
        {
            return new SendOutcome.Retry(
                $"The SMTP relay {Relay} could not be reached or stopped answering during the {step} step ({exception.GetType().Name}).");
        }
        catch (NotSecureException)
        {
            return new SendOutcome.Failed($"The connection to the SMTP relay {Relay} is not encrypted although Notification:Smtp:Security={Settings.Security}; nothing was sent.");
        }
        finally
        {
            // A connection that failed in any way is in an unknown state: it is dropped, never pooled.
            connection?.Dispose();
        }
    }

    /// <summary>A pooled connection that still answers, or a new one, connected, secured and authenticated.</summary>
    private async Task<Connection> RentAsync(Action<string> stepIs, CancellationToken cancellationToken)
    {
        while (idle.TryTake(out var pooled))
        {
            Interlocked.Decrement(ref idleCount);
            if (!pooled.Client.IsConnected)
            {
                pooled.Dispose();
                continue;
            }
            if (time.GetUtcNow() - pooled.LastUsed < CheckIdleAfter)
                return pooled;
            try
            {
                await WithTimeoutAsync(token => pooled.Client.NoOpAsync(token), cancellationToken);
                return pooled;
            }
            catch (Exception exception) when (exception is IOException or SocketException or SmtpProtocolException or SmtpCommandException
                                                  or ServiceNotConnectedException or TimeoutException
                                                  || exception is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The relay dropped it while it was idle; a new one is made below.
                pooled.Dispose();
            }
        }

        var settings = Settings;
        var connection = new Connection(trust);
        try
        {
            stepIs("connect");
            var secure = settings.Security switch
            {
                SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
                SmtpSecurity.None => SecureSocketOptions.None,
                _ => SecureSocketOptions.StartTls,
            };
            connection.Client.LocalDomain = settings.HeloName;
            connection.Client.Timeout = (int)Math.Min(int.MaxValue, settings.Timeout.TotalMilliseconds);
            await WithTimeoutAsync(token => connection.Client.ConnectAsync(settings.Host, settings.Port, secure, token), cancellationToken);
            // MailKit refuses to go on without TLS when asked for it; this says so once more, here.
            if (settings.Security != SmtpSecurity.None && !connection.Client.IsSecure)
                throw new NotSecureException();
            if (settings.UserName.Length > 0)
            {
                stepIs("AUTH");
                await WithTimeoutAsync(token => connection.Client.AuthenticateAsync(settings.UserName, settings.Password, token), cancellationToken);
            }
            return connection;
        }
        catch (SslHandshakeException exception) when (connection.CertificateProblem is { } problem)
        {
            connection.Dispose();
            exception.Data[CertificateProblemKey] = problem;
            throw;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Return(Connection connection)
    {
        connection.LastUsed = time.GetUtcNow();
        // Each claimed delivery is sent on a connection of its own, side by side with the rest of its claim: a pool kept to
        // one per worker closed most of them after each claim, and the next claim opened them again (connect, greeting,
        // EHLO, and STARTTLS and AUTH against a real relay) for most of its messages. More idle ones than can be in use
        // at once would only hold sockets open.
        var settings = options.Value.Delivery;
        if (Interlocked.Increment(ref idleCount) <= settings.Workers * settings.BatchSize)
            idle.Add(connection);
        else
        {
            Interlocked.Decrement(ref idleCount);
            connection.Dispose();
        }
    }

    private async Task WithTimeoutAsync(Func<CancellationToken, Task> step, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Settings.Timeout);
        await step(timeout.Token);
    }

    private async Task WithTimeoutAsync<T>(Func<CancellationToken, Task<T>> step, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Settings.Timeout);
        await step(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        while (idle.TryTake(out var connection))
        {
            Interlocked.Decrement(ref idleCount);
            try
            {
                // A polite QUIT, briefly: the service is stopping.
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await connection.Client.DisconnectAsync(quit: true, timeout.Token);
            }
            catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException or SmtpProtocolException
                                                  or SmtpCommandException or ServiceNotConnectedException)
            {
            }
            connection.Dispose();
        }
    }

    /// <summary>One MailKit client and what its TLS check found.</summary>
    private sealed class Connection : IDisposable
    {
        public Connection(RelayTrust trust)
        {
            Client.ServerCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                CertificateProblem = trust.Problem(certificate, chain, errors);
                return CertificateProblem is null;
            };
        }

        public SmtpClient Client { get; } = new();

        public string? CertificateProblem { get; private set; }

        public DateTimeOffset LastUsed { get; set; }

        public void Dispose() => Client.Dispose();
    }

    private sealed class NotSecureException() : Exception("The connection to the SMTP relay is not encrypted.");
}
