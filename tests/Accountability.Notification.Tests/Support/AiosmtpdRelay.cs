using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Accountability.TestSupport;

namespace Accountability.Notification.Tests.Support;

/// <summary>
/// A real SMTP relay, Debian's aiosmtpd (smtp_relay.py next to this file), in a process of its own on a
/// free loopback port. Secure, it requires STARTTLS with a throwaway self-signed certificate for
/// 127.0.0.1 and AUTH with one user name and password; plain, it offers neither. It keeps every
/// message it accepts as an .eml file, with how it arrived (TLS, authenticated).
/// </summary>
public sealed class AiosmtpdRelay : IAsyncDisposable
{
    /// <summary>Debian's interpreter, where python3-aiosmtpd installs; the python3 first on PATH (pyenv) lacks it.</summary>
    private const string Python = "/usr/bin/python3";

    private readonly string folder;
    private HelperProcess process = null!;

    private AiosmtpdRelay(string folder, int port, string? certificatePath)
    {
        this.folder = folder;
        Port = port;
        CertificatePath = certificatePath;
    }

    public int Port { get; }

    /// <summary>The PEM of the relay's certificate, for Notification:Smtp:TrustedCertificatePath; null when plain.</summary>
    public string? CertificatePath { get; }

    public string MailFolder => Path.Combine(folder, "mail");

    /// <summary>What the relay printed: for the failure message of a test.</summary>
    public string Output => process.Output;

    public sealed record Received(ReceivedMail Mail, bool Tls, bool Authenticated, int ClientPort);

    /// <summary>Messages accepted (250 to DATA), oldest first.</summary>
    public IReadOnlyList<Received> Accepted => Read(MailFolder);

    /// <summary>Messages answered 451 (recipients starting with the tempfail prefix, first try only).</summary>
    public IReadOnlyList<Received> Refused => Read(Path.Combine(MailFolder, "rejected"));

    public static Task<AiosmtpdRelay> StartSecureAsync(string userName, string password, string tempfailPrefix = "") =>
        StartAsync(secure: true, userName, password, tempfailPrefix);

    public static Task<AiosmtpdRelay> StartPlainAsync() => StartAsync(secure: false, "", "", "");

    private static async Task<AiosmtpdRelay> StartAsync(bool secure, string userName, string password, string tempfailPrefix)
    {
        if (!File.Exists(Python) || !await HasAiosmtpdAsync())
            throw new InvalidOperationException(
                $"Debian's python3-aiosmtpd is missing for {Python}: apt-get install -y python3-aiosmtpd (deploy/local/test.sh does it when run as root).");

        var folder = Path.Combine(Path.GetTempPath(), $"aiosmtpd-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var port = ServiceProcess.FreePort();
        var script = RepositoryPaths.File("tests", "Accountability.Notification.Tests", "Support", "smtp_relay.py");
        // Closing its input is how the script is told to stop.
        var start = new ProcessStartInfo(Python) { RedirectStandardInput = true };
        foreach (var argument in new[] { script, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--maildir", Path.Combine(folder, "mail") })
            start.ArgumentList.Add(argument);
        string? certificatePath = null;
        if (secure)
        {
            (certificatePath, var keyPath) = WriteThrowawayCertificate(folder);
            foreach (var argument in new[] { "--cert", certificatePath, "--key", keyPath, "--user", userName, "--password", password })
                start.ArgumentList.Add(argument);
            if (tempfailPrefix.Length > 0)
            {
                start.ArgumentList.Add("--tempfail-prefix");
                start.ArgumentList.Add(tempfailPrefix);
            }
        }

        var relay = new AiosmtpdRelay(folder, port, certificatePath);
        try
        {
            relay.process = await HelperProcess.StartAsync(start, line => line == "READY", $"aiosmtpd on 127.0.0.1:{port}");
        }
        catch
        {
            relay.DeleteFolder();
            throw;
        }
        return relay;
    }

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

    private static IReadOnlyList<Received> Read(string directory)
    {
        if (!Directory.Exists(directory))
            return [];
        var received = new List<Received>();
        foreach (var eml in Directory.GetFiles(directory, "*.eml").Order(StringComparer.Ordinal))
        {
            using var envelope = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(eml, ".json")));
            var root = envelope.RootElement;
            // As text, the way the in-process server hands it over; ReceivedMail turns it back into the bytes.
            var mail = ReceivedMail.Parse(root.GetProperty("from").GetString()!,
                [.. root.GetProperty("to").EnumerateArray().Select(r => r.GetString()!)],
                Encoding.UTF8.GetString(File.ReadAllBytes(eml)));
            received.Add(new Received(mail, root.GetProperty("tls").GetBoolean(), root.GetProperty("authenticated").GetBoolean(),
                root.GetProperty("peer_port").GetInt32()));
        }
        return received;
    }

    public async ValueTask DisposeAsync()
    {
        await process.DisposeAsync();
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
