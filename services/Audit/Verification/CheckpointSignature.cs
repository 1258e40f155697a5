using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Accountability.Audit.Verification;

/// <summary>
/// ECDSA P-256 with SHA-256 over the UTF-8 canonical JSON
/// <c>{"globalSeq":N,"hash":"&lt;hex&gt;","keyId":"…","signedAt":"…"}</c>; the signature is DER
/// (RFC 3279), the form `openssl dgst -sha256 -verify` reads, so a third party needs nothing of ours.
/// </summary>
public static class CheckpointSignature
{
    public static byte[] Payload(long globalSeq, byte[] hash, string keyId, DateTimeOffset signedAt)
    {
        var output = new StringBuilder(160);
        output.Append("{\"globalSeq\":").Append(globalSeq.ToString(CultureInfo.InvariantCulture));
        output.Append(",\"hash\":");
        CanonicalJson.WriteString(ChainHash.Hex(hash), output);
        output.Append(",\"keyId\":");
        CanonicalJson.WriteString(keyId, output);
        output.Append(",\"signedAt\":");
        CanonicalJson.WriteString(ChainHash.Instant(signedAt), output);
        output.Append('}');
        return Encoding.UTF8.GetBytes(output.ToString());
    }

    public static byte[] Sign(ECDsa key, long globalSeq, byte[] hash, string keyId, DateTimeOffset signedAt) =>
        key.SignData(Payload(globalSeq, hash, keyId, signedAt), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    public static bool Verify(ECDsa publicKey, Checkpoint checkpoint)
    {
        try
        {
            return publicKey.VerifyData(
                Payload(checkpoint.GlobalSeq, checkpoint.Hash, checkpoint.KeyId, checkpoint.SignedAt),
                checkpoint.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false; // a malformed signature is simply not a valid one
        }
    }

    /// <summary>Reads a public key from PEM ("PUBLIC KEY"); throws when it is not an EC P-256 key.</summary>
    public static ECDsa ImportPublicKey(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        RequireP256(key);
        return key;
    }

    public static void RequireP256(ECDsa key)
    {
        var oid = key.ExportParameters(false).Curve.Oid;
        var isP256 = oid?.Value == "1.2.840.10045.3.1.7" || oid?.FriendlyName is "nistP256" or "ECDSA_P256";
        if (!isP256)
            throw new CryptographicException("The audit signing key must be an ECDSA P-256 key.");
    }
}
