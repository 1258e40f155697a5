using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Accountability.TestSupport;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;

namespace Accountability.Console.Tests.Support;

/// <summary>
/// A real OpenID provider for the tests: the npm package oidc-provider (OpenID Certified), run with Node.js
/// from oidc-provider/provider.mjs next to this project, in a process of its own on a free loopback port.
/// Its users are the active people of deploy/org/directory.json, with their roles as "role" claims; it
/// issues JWT access tokens for the services' resource (audience "accountability") and for a payroll
/// resource no service accepts. Clients register themselves (dynamic registration). Disposing it kills it.
/// </summary>
public sealed class OidcTestProvider : IAsyncDisposable
{
    /// <summary>The services' resource indicator; its access tokens carry the audience the services accept (Auth:Audience).</summary>
    public const string ServicesResource = "urn:accountability:services";

    /// <summary>Another system of the department: its tokens must be refused by every service.</summary>
    public const string PayrollResource = "urn:department:payroll";

    /// <summary>The scopes the console asks for: the name, the roles, and the services' resource scope.</summary>
    public const string ConsoleScopes = "openid profile roles accountability";

    private const string Node = "/usr/bin/node";
    private const string Npm = "/usr/bin/npm";
    private static readonly SemaphoreSlim Install = new(1, 1);

    private readonly HelperProcess process;
    private readonly string folder;
    private readonly HttpClient http;

    private OidcTestProvider(HelperProcess process, string folder, string authority, string registrationToken)
    {
        this.process = process;
        this.folder = folder;
        Authority = authority;
        RegistrationToken = registrationToken;
        http = new HttpClient { BaseAddress = new Uri(authority), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The issuer, http://127.0.0.1:port.</summary>
    public string Authority { get; }

    private string RegistrationToken { get; }

    /// <summary>What the provider printed, its events included ("EVENT end_session.success &lt;client&gt;").</summary>
    public string Output => process.Output;

    /// <summary>The authorization requests the provider granted to that client, as it read them (pushed ones included).</summary>
    public IReadOnlyList<JsonElement> AuthorizationsFor(string clientId) =>
        [.. Output.Split('\n').Select(line => line.Trim()).Where(line => line.StartsWith($"EVENT authorization.success {clientId} ", StringComparison.Ordinal))
            .Select(line => JsonDocument.Parse(line[$"EVENT authorization.success {clientId} ".Length..]).RootElement.Clone())];

    /// <summary>How many RP-initiated logouts the provider carried out for that client.</summary>
    public int SessionsEndedFor(string clientId) =>
        Output.Split('\n').Count(line => line.Trim() == $"EVENT end_session.success {clientId}");

    public static string Folder => RepositoryPaths.File("tests", "Accountability.Console.Tests", "oidc-provider");

    public static async Task<OidcTestProvider> StartAsync()
    {
        if (!File.Exists(Node))
            throw new InvalidOperationException($"No Node.js at {Node}: install Debian's nodejs package (Node 20 or later) to run the test OpenID provider.");
        await EnsureInstalledAsync();

        var folder = Directory.CreateTempSubdirectory("oidc-provider-").FullName;
        var port = ServiceProcess.FreePort();
        var registrationToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var settingsPath = Path.Combine(folder, "settings.json");
        await File.WriteAllTextAsync(settingsPath, JsonSerializer.Serialize(new
        {
            port,
            directory = RepositoryPaths.File("deploy", "org", "directory.json"),
            registrationToken,
            resources = new[]
            {
                new { indicator = ServicesResource, audience = "accountability", scope = "accountability" },
                new { indicator = PayrollResource, audience = "payroll", scope = "payroll" },
            },
        }));

        var start = new ProcessStartInfo(Node) { WorkingDirectory = Folder };
        start.ArgumentList.Add(Path.Combine(Folder, "provider.mjs"));
        start.ArgumentList.Add(settingsPath);
        HelperProcess process;
        try
        {
            process = await HelperProcess.StartAsync(start, line => line.StartsWith("READY ", StringComparison.Ordinal), $"oidc-provider on 127.0.0.1:{port}");
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
        var provider = new OidcTestProvider(process, folder, $"http://127.0.0.1:{port}", registrationToken);
        return provider;
    }

    /// <summary>
    /// `npm ci` from package-lock.json when node_modules lacks the locked oidc-provider (a clean clone;
    /// deploy/local/test.sh runs it first anyway).
    /// </summary>
    private static async Task EnsureInstalledAsync()
    {
        await Install.WaitAsync();
        try
        {
            using var lockFile = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Folder, "package-lock.json")));
            var locked = lockFile.RootElement.GetProperty("packages").GetProperty("node_modules/oidc-provider").GetProperty("version").GetString();
            var installedPath = Path.Combine(Folder, "node_modules", "oidc-provider", "package.json");
            if (File.Exists(installedPath))
            {
                using var installed = JsonDocument.Parse(await File.ReadAllTextAsync(installedPath));
                if (installed.RootElement.GetProperty("version").GetString() == locked)
                    return;
            }
            if (!File.Exists(Npm))
                throw new InvalidOperationException($"oidc-provider {locked} is not installed and there is no npm at {Npm}: run `npm ci` in {Folder}.");
            using var npm = Process.Start(new ProcessStartInfo(Npm, ["ci", "--no-audit", "--no-fund"])
            {
                WorkingDirectory = Folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var stdout = npm.StandardOutput.ReadToEndAsync();
            var stderr = npm.StandardError.ReadToEndAsync();
            await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            if (npm.ExitCode != 0)
                throw new InvalidOperationException($"`npm ci` in {Folder} failed ({npm.ExitCode}):\n{await stdout}\n{await stderr}");
        }
        finally
        {
            Install.Release();
        }
    }

    public sealed record RegisteredClient(string ClientId, string ClientSecret);

    /// <summary>Registers a confidential web client (dynamic client registration) with its redirect and post-logout redirect URIs.</summary>
    public async Task<RegisteredClient> RegisterClientAsync(string redirectUri, string? postLogoutRedirectUri = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/reg")
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["redirect_uris"] = new[] { redirectUri },
                ["post_logout_redirect_uris"] = postLogoutRedirectUri is null ? Array.Empty<string>() : [postLogoutRedirectUri],
                ["token_endpoint_auth_method"] = "client_secret_post",
                ["grant_types"] = new[] { "authorization_code" },
                ["response_types"] = new[] { "code" },
            }),
        };
        request.Headers.Authorization = new("Bearer", RegistrationToken);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"The provider refused to register a client ({(int)response.StatusCode}): {body}");
        using var json = JsonDocument.Parse(body);
        return new RegisteredClient(json.RootElement.GetProperty("client_id").GetString()!, json.RootElement.GetProperty("client_secret").GetString()!);
    }

    /// <summary>
    /// An access token for <paramref name="resource"/>, got as any client gets one: the person signs in on the
    /// provider's page in a browser (authorization code with PKCE), and the client redeems the code.
    /// </summary>
    public async Task<string> AccessTokenAsync(IBrowser browser, string personId, string resource)
    {
        var redirectUri = $"{Authority}/test-client/callback";
        var client = await RegisterClientAsync(redirectUri);
        var verifier = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        var challenge = Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var authorize = QueryHelpers.AddQueryString($"{Authority}/auth", new Dictionary<string, string?>
        {
            ["client_id"] = client.ClientId,
            ["response_type"] = "code",
            ["scope"] = "openid " + (resource == ServicesResource ? "accountability" : "payroll"),
            ["redirect_uri"] = redirectUri,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
            ["resource"] = resource,
            ["state"] = "test",
        });
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(authorize);
        // Listen for the redirect before signing in: the provider may answer so fast that a wait started
        // afterwards finds the browser already there (and Playwright then waits for a "commit" that never comes).
        var callback = page.WaitForRequestAsync(request => request.Url.StartsWith(redirectUri, StringComparison.Ordinal), new() { Timeout = 30_000 });
        await SignInOnProviderPageAsync(page, personId);
        string callbackUrl;
        try
        {
            callbackUrl = (await callback).Url;
        }
        catch (TimeoutException exception)
        {
            throw new InvalidOperationException($"The provider did not send the browser back to the client; it is at {page.Url}:\n{await page.ContentAsync()}\n{Output}", exception);
        }
        var query = QueryHelpers.ParseQuery(new Uri(callbackUrl).Query);
        if (!query.TryGetValue("code", out var code))
            throw new InvalidOperationException($"The provider sent no code back: {callbackUrl}\n{Output}");

        using var response = await http.PostAsync("/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code.ToString(),
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = verifier,
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
            ["resource"] = resource,
        }));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"The provider refused the code ({(int)response.StatusCode}): {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>The provider's own sign-in page (its development login form): the person id, any password.</summary>
    public static async Task SignInOnProviderPageAsync(IPage page, string personId)
    {
        await page.Locator("input[name=login]").FillAsync(personId);
        await page.Locator("input[name=password]").FillAsync("any password");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign-in" }).ClickAsync();
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await process.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }
}
