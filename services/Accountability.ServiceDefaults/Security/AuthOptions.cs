using System.Text;

namespace Accountability.ServiceDefaults.Security;

/// <summary>
/// Settings under "Auth". A deployment sets <see cref="Authority"/> to its OpenID Connect provider.
/// Local runs and tests instead sign tokens with <see cref="SigningKey"/> (HS256).
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";
    public const string LocalIssuer = "accountability-local";

    public string? Authority { get; set; }

    public string Audience { get; set; } = "accountability";

    /// <summary>Issuer of locally signed tokens.</summary>
    public string Issuer { get; set; } = LocalIssuer;

    /// <summary>At least 32 bytes once UTF-8 encoded. Never committed: make up generates one under .state/.</summary>
    public string? SigningKey { get; set; }

    public bool RequireHttpsMetadata { get; set; } = true;

    public byte[] SigningKeyBytes()
    {
        var bytes = Encoding.UTF8.GetBytes(SigningKey ?? "");
        if (bytes.Length < 32)
            throw new InvalidOperationException(
                "Auth:SigningKey must be at least 32 bytes when Auth:Authority is not set (environment variable Auth__SigningKey).");
        return bytes;
    }
}
