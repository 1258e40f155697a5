using System.Text;

namespace Accountability.ServiceDefaults.Security;

/// <summary>
/// Settings under "Auth". A deployment sets <see cref="Authority"/> to its OpenID Connect provider, whose
/// access tokens for <see cref="Audience"/> the services accept. Local runs and tests sign tokens with
/// <see cref="SigningKey"/> (HS256). With both set, both kinds are accepted.
/// </summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";
    public const string LocalIssuer = "accountability-local";

    /// <summary>The provider's issuer URL; its discovery document names the issuer and the signing keys.</summary>
    public string? Authority { get; set; }

    /// <summary>The audience ("aud") every token must carry: the provider's resource server audience for the services.</summary>
    public string Audience { get; set; } = "accountability";

    /// <summary>Issuer of locally signed tokens.</summary>
    public string Issuer { get; set; } = LocalIssuer;

    /// <summary>At least 32 bytes once UTF-8 encoded. Never committed: make up generates one under .state/.</summary>
    public string? SigningKey { get; set; }

    public bool RequireHttpsMetadata { get; set; } = true;

    public bool HasProvider => !string.IsNullOrWhiteSpace(Authority);

    public bool HasLocalKey => !string.IsNullOrEmpty(SigningKey);

    public byte[] SigningKeyBytes()
    {
        var bytes = Encoding.UTF8.GetBytes(SigningKey ?? "");
        if (bytes.Length < 32)
            throw new InvalidOperationException(
                "Auth:SigningKey must be at least 32 bytes (environment variable Auth__SigningKey). It is required unless Auth:Authority names an OpenID provider.");
        return bytes;
    }

    /// <summary>Refuses settings under which no token, or the wrong ones, would be accepted, with the reason.</summary>
    public void Validate()
    {
        if (!HasProvider || HasLocalKey)
            _ = SigningKeyBytes();
        if (string.IsNullOrWhiteSpace(Audience))
            throw new InvalidOperationException("Auth:Audience is empty: tokens would be accepted whoever they were issued for.");
        if (HasProvider)
        {
            if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("http" or "https"))
                throw new InvalidOperationException($"Auth:Authority '{Authority}' must be the provider's absolute http(s) issuer URL.");
            if (authority.Scheme == "http" && RequireHttpsMetadata)
                throw new InvalidOperationException(
                    "Auth:Authority is plain http: use the provider's https address, or set Auth:RequireHttpsMetadata=false for a provider on this machine.");
            if (string.Equals(Authority!.TrimEnd('/'), Issuer.TrimEnd('/'), StringComparison.Ordinal))
                throw new InvalidOperationException("Auth:Issuer (of locally signed tokens) must differ from Auth:Authority.");
        }
    }
}
