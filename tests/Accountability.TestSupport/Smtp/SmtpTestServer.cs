using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Accountability.TestSupport.Smtp;

/// <summary>How a relay expects its clients to protect the session.</summary>
public enum RelaySecurity
{
    /// <summary>Plain SMTP, no AUTH: a local relay, or one that lacks STARTTLS.</summary>
    Plain,

    /// <summary>STARTTLS required before anything else, then AUTH (the default of department relays).</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465 style), then AUTH.</summary>
    ImplicitTls,
}

/// <summary>
/// The tests' SMTP relay: Debian's aiosmtpd (smtp_relay.py next to this file) in a process of its own on
/// a free loopback port, so the notification service talks to a real server, not to one of ours. Secure,
/// it requires TLS with a throwaway self-signed certificate for 127.0.0.1 and AUTH with one user name and
/// password. It keeps every message it accepts as an .eml file with how it arrived (TLS, authenticated,
/// the client's port), and can be stopped and started again on the same port, to play a relay that is
/// down for a while.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    /// <summary>Debian's interpreter, where python3-aiosmtpd installs; a python3 earlier on PATH (pyenv) lacks it.</summary>
    private const string Python = "/usr/bin/python3";

    private readonly string folder;
    private readonly Options options;
    // Each .eml file is read once, so a message is the same object on every look (tests compare them).
    private readonly ConcurrentDictionary<string, Arrival> parsed = new(StringComparer.Ordinal);
    private HelperProcess? process;

    private sealed record Options(RelaySecurity Security, string UserName, string Password, string TempfailPrefix, string? StallAt, string? CertificatePath, string? KeyPath);

    private SmtpTestServer(string folder, int port, Options options)
    {
        this.folder = folder;
        this.options = options;
        Port = port;
    }

    public string Host => "127.0.0.1";

    public int Port { get; }

    /// <summary>The PEM of the relay's certificate, for Notification:Smtp:TrustedCertificatePath; null when plain.</summary>
    public string? CertificatePath => options.CertificatePath;

    /// <summary>What the relay printed: for the failure message of a test.</summary>
    public string Output => process?.Output ?? "";

    /// <summary>A message and how it arrived.</summary>
    public sealed record Arrival(ReceivedMail Mail, bool Tls, bool Authenticated, int ClientPort);

    /// <summary>Messages accepted (250 to DATA), oldest first, with how each arrived.</summary>
    public IReadOnlyList<Arrival> Accepted => Read(MailFolder);

    /// <summary>Messages answered 451 (recipients starting with the tempfail prefix, first try only).</summary>
    public IReadOnlyList<Arrival> Refused => Read(Path.Combine(MailFolder, "rejected"));

    /// <summary>Every message accepted so far, oldest first.</summary>
    public IReadOnlyList<ReceivedMail> Received => [.. Accepted.Select(r => r.Mail)];

    private string MailFolder => Path.Combine(folder, "mail");

    /// <summary>A plain relay that accepts every message.</summary>
    public static Task<SmtpTestServer> StartAsync() => StartAsync(RelaySecurity.Plain);

    /// <summary>
    /// A relay with the given protection. Secure ones take AUTH with <paramref name="userName"/> and
    /// <paramref name="password"/> only. Recipients starting with <paramref name="tempfailPrefix"/> get 451 to
    /// their first DATA. <paramref name="stallAt"/> ("GREETING" or "DATA") makes it stop answering there.
    /// </summary>
    public static async Task<SmtpTestServer> StartAsync(
        RelaySecurity security, string userName = "", string password = "", string tempfailPrefix = "", string? stallAt = null)
    {
        if (!File.Exists(Python) || !await HasAiosmtpdAsync())
            throw new InvalidOperationException(
                $"Debian's python3-aiosmtpd is missing for {Python}: apt-get install -y python3-aiosmtpd (deploy/local/test.sh does it when run as root).");

        var folder = Path.Combine(Path.GetTempPath(), $"aiosmtpd-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        string? certificatePath = null, keyPath = null;
        if (security != RelaySecurity.Plain)
            (certificatePath, keyPath) = WriteThrowawayCertificate(folder);
        var server = new SmtpTestServer(folder, ServiceProcess.FreePort(), new Options(security, userName, password, tempfailPrefix, stallAt, certificatePath, keyPath));
        try
        {
            await server.ResumeAsync();
        }
        catch
        {
            server.DeleteFolder();
            throw;
        }
        return server;
    }

    /// <summary>Listens again on the same port, keeping the messages received so far.</summary>
    public async Task ResumeAsync()
    {
        if (process is not null)
            throw new InvalidOperationException("The relay is already running.");
        var script = RepositoryPaths.File("tests", "Accountability.TestSupport", "Smtp", "smtp_relay.py");
        // Closing its input is how the script is told to stop.
        var start = new ProcessStartInfo(Python) { RedirectStandardInput = true };
        foreach (var argument in new[] { script, "--port", Port.ToString(CultureInfo.InvariantCulture), "--maildir", MailFolder })
            start.ArgumentList.Add(argument);
        if (options.CertificatePath is not null)
            foreach (var argument in new[] { "--cert", options.CertificatePath, "--key", options.KeyPath!, "--user", options.UserName, "--password", options.Password })
                start.ArgumentList.Add(argument);
        if (options.Security == RelaySecurity.ImplicitTls)
            start.ArgumentList.Add("--implicit-tls");
        if (options.TempfailPrefix.Length > 0)
        {
            start.ArgumentList.Add("--tempfail-prefix");
            start.ArgumentList.Add(options.TempfailPrefix);
        }
        if (options.StallAt is not null)
        {
            start.ArgumentList.Add("--stall-at");
            start.ArgumentList.Add(options.StallAt);
        }
        // A port just released can stay unavailable for a moment; the script then exits and is tried again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                process = await HelperProcess.StartAsync(start, line => line == "READY", $"aiosmtpd ({options.Security}) on 127.0.0.1:{Port}");
                return;
            }
            catch (InvalidOperationException) when (attempt < 10)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>Stops the relay: open sessions are dropped and new connections refused, until <see cref="ResumeAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (process is null)
            return;
        await process.DisposeAsync();
        process = null;
    }

    /// <summary>Waits for the first accepted message that <paramref name="match"/> accepts.</summary>
    public Task<ReceivedMail> WaitForAsync(Func<ReceivedMail, bool> match, string description, TimeSpan? timeout = null) =>
        Eventually.ReturnsAsync(() => Task.FromResult(Received.FirstOrDefault(match)), mail => mail is not null, description, timeout)!;

    public IReadOnlyList<ReceivedMail> To(string address) => [.. Received.Where(m => m.IsFor(address))];

    /// <summary>The copies of one delivery (its id rides in a header): exactly one, when all is well.</summary>
    public IReadOnlyList<ReceivedMail> ForDelivery(string deliveryId) =>
        [.. Received.Where(m => m.Headers.GetValueOrDefault("X-Accountability-Delivery") == deliveryId)];

    public IReadOnlyList<ReceivedMail> Containing(string text) =>
        [.. Received.Where(m => m.Text.Contains(text, StringComparison.Ordinal) || m.Subject.Contains(text, StringComparison.Ordinal))];

    private static async Task<bool> HasAiosmtpdAsync()
    {
        using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import aiosmtpd"])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        await probe.WaitForExitAsync();
        return probe.ExitCode == 0;
    }

    /// <summary>A self-signed certificate for 127.0.0.1 valid for a day, and its key, as PEM files.</summary>
    private static (string CertificatePath, string KeyPath) WriteThrowawayCertificate(string folder)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server authentication
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(folder, "relay.crt.pem");
        var keyPath = Path.Combine(folder, "relay.key.pem");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    private IReadOnlyList<Arrival> Read(string directory)
    {
        if (!Directory.Exists(directory))
            return [];
        // The script writes <n>.json before <n>.eml, each renamed into place, so a listed .eml has its envelope.
        return [.. Directory.GetFiles(directory, "*.eml").Order(StringComparer.Ordinal).Select(eml => parsed.GetOrAdd(eml, ReadOne))];
    }

    private static Arrival ReadOne(string eml)
    {
        using var envelope = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(eml, ".json")));
        var root = envelope.RootElement;
        // Latin-1 keeps every received byte as one char; ReceivedMail reads it back as those bytes.
        var mail = ReceivedMail.Parse(root.GetProperty("from").GetString()!,
            [.. root.GetProperty("to").EnumerateArray().Select(r => r.GetString()!)],
            Encoding.Latin1.GetString(File.ReadAllBytes(eml)));
        return new Arrival(mail, root.GetProperty("tls").GetBoolean(), root.GetProperty("authenticated").GetBoolean(),
            root.GetProperty("peer_port").GetInt32());
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        DeleteFolder();
    }

    private void DeleteFolder()
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
