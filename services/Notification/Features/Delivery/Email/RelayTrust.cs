using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Accountability.Notification.Features.Delivery.Email;

/// <summary>
/// Decides whether the relay's TLS certificate is trusted: by the system's CA store, or else by the
/// certificates of Notification:Smtp:TrustedCertificatePath (a private relay's own certificate or
/// its CA). The name must match either way. Nothing else is ever accepted.
/// </summary>
public sealed class RelayTrust
{
    private readonly X509Certificate2Collection trusted = [];

    public RelayTrust(string trustedCertificatePath)
    {
        if (trustedCertificatePath.Length > 0)
            trusted.ImportFromPemFile(trustedCertificatePath);
    }

    /// <summary>Null when the certificate is trusted; otherwise why not, in words for a delivery's reason.</summary>
    public string? Problem(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
            return null;
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return "the relay presented no certificate";
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return "the relay's certificate does not name the configured host";
        if (trusted.Count == 0)
            return $"the relay's certificate is not trusted by the system's CA store ({Statuses(chain)}); set Notification:Smtp:TrustedCertificatePath for a private relay";

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(trusted);
        // A private CA seldom publishes revocation lists; trusting it is the operator's explicit choice.
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            foreach (var element in chain.ChainElements)
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        using var leaf = new X509Certificate2(certificate);
        return custom.Build(leaf)
            ? null
            : $"the relay's certificate is trusted neither by the system's CA store nor by Notification:Smtp:TrustedCertificatePath ({Statuses(custom)})";
    }

    private static string Statuses(X509Chain? chain) =>
        chain is null || chain.ChainStatus.Length == 0
            ? "no chain"
            : string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct(StringComparer.Ordinal));
}
