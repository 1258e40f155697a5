using Accountability.ServiceDefaults.Security;

namespace Accountability.TestSupport;

/// <summary>Tokens signed with the key that test hosts are configured with.</summary>
public static class TestTokens
{
    public const string SigningKey = "test-signing-key-that-is-at-least-32-bytes-long";

    public static AuthOptions Options { get; } = new() { SigningKey = SigningKey };

    public static string For(string personId, params string[] roles) =>
        LocalTokens.Issue(Options, personId, roles, TimeSpan.FromMinutes(30));

    public static string Expired(string personId, params string[] roles) =>
        LocalTokens.Issue(Options, personId, roles, TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow.AddHours(-1));

    /// <summary>A well-formed token signed with some other key: must be rejected.</summary>
    public static string ForeignlySigned(string personId, params string[] roles) =>
        LocalTokens.Issue(new AuthOptions { SigningKey = "a-different-key-that-nobody-configured-anywhere" }, personId, roles, TimeSpan.FromMinutes(30));
}
