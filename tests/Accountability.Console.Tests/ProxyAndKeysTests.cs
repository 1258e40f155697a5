using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Accountability.Console.Tests.Support;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Console.Tests;

/// <summary>
/// Issue 17, finding 11: behind a TLS proxy the session cookie was not marked Secure (the console did not
/// read forwarded headers), and the keys that seal it lay on disk unencrypted.
/// </summary>
[Collection(nameof(ConsoleSystem))]
public sealed partial class ProxyAndKeysTests(ConsoleSystem system)
{
    [Fact]
    public async Task Behind_a_trusted_tls_proxy_the_session_cookie_is_secure_and_a_stranger_cannot_claim_https()
    {
        await using var behindProxy = await system.StartConsoleAsync("Development", new Dictionary<string, string>
        {
            ["Console__DevelopmentSignIn"] = "true",
            ["Console__TrustedProxies__0"] = "127.0.0.1",
        });

        Assert.Contains("secure", await SessionCookieAsync(behindProxy, forwardedProto: "https"), StringComparison.OrdinalIgnoreCase);
        // The fixture's console trusts no proxy: the same header from anyone changes nothing.
        Assert.DoesNotContain("secure", await SessionCookieAsync(system.Console, forwardedProto: "https"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_keys_that_seal_sign_ins_are_encrypted_at_rest_with_the_configured_certificate()
    {
        var folder = Directory.CreateTempSubdirectory("console-keys-");
        try
        {
            var certificate = Path.Combine(folder.FullName, "keys.pfx");
            using (var rsa = RSA.Create(2048))
            {
                var request = new CertificateRequest("CN=accountability-console-keys", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
                await File.WriteAllBytesAsync(certificate, self.Export(X509ContentType.Pfx, "test-password"));
            }
            var keys = Path.Combine(folder.FullName, "keys");
            await using (var console = await system.StartConsoleAsync("Development", new Dictionary<string, string>
                         {
                             ["Console__DevelopmentSignIn"] = "true",
                             ["Console__DataProtection__KeysPath"] = keys,
                             ["Console__DataProtection__CertificatePath"] = certificate,
                             ["Console__DataProtection__CertificatePassword"] = "test-password",
                         }))
            {
                await SessionCookieAsync(console, forwardedProto: null);
            }

            var key = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(keys, "key-*.xml")));
            Assert.Contains("EncryptedData", key);
            Assert.DoesNotContain("<value>", key);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_key_folder_without_a_certificate_is_refused_outside_development()
    {
        var keys = Path.Combine(Path.GetTempPath(), $"console-keys-{Guid.NewGuid():N}");
        await using var console = await system.StartConsoleAsync("Production", new Dictionary<string, string>
        {
            ["Console__Oidc__Authority"] = "https://id.example.org",
            ["Console__DataProtection__KeysPath"] = keys,
        }, waitUntilReady: false);
        await Eventually.HoldsAsync(() => console.HasExited, "the console refuses to start", TimeSpan.FromSeconds(60));
        Assert.Contains("would be stored unencrypted", console.Output);
        Assert.False(Directory.Exists(keys));
    }

    /// <summary>Signs in through the development sign-in as a dispatcher; returns the session cookie's Set-Cookie header.</summary>
    private static async Task<string> SessionCookieAsync(ServiceProcess console, string? forwardedProto)
    {
        // Cookies by hand: a Secure cookie would never be sent back over this plain-http connection by a cookie container.
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = console.BaseAddress };
        using var form = new HttpRequestMessage(HttpMethod.Get, "/signin");
        if (forwardedProto is not null)
            form.Headers.Add("X-Forwarded-Proto", forwardedProto);
        using var page = await client.SendAsync(form);
        var html = await page.Content.ReadAsStringAsync();
        var token = VerificationToken().Match(html).Groups[1].Value;
        var cookies = string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

        using var post = new HttpRequestMessage(HttpMethod.Post, "/signin?handler=Development")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["personId"] = "p-1009", ["returnUrl"] = "/", ["__RequestVerificationToken"] = token }),
        };
        post.Headers.Add("Cookie", cookies);
        if (forwardedProto is not null)
            post.Headers.Add("X-Forwarded-Proto", forwardedProto);
        using var signedIn = await client.SendAsync(post);
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, $"{(int)signedIn.StatusCode}: {await signedIn.Content.ReadAsStringAsync()}");
        return signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("accountability.console=", StringComparison.Ordinal));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex VerificationToken();
}
