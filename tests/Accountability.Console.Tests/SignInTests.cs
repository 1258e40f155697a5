using System.Net;
using Accountability.Console.Tests.Support;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Accountability.Console.Tests;

/// <summary>
/// Sign-in as deployed: a console in Production against a real OpenID provider (oidc-provider, see
/// <see cref="OidcTestProvider"/>), whose access tokens the five services accept.
/// </summary>
[Collection(nameof(ConsoleSystem))]
public sealed class SignInTests(ConsoleSystem system)
{
    [Fact]
    public async Task An_investigator_signs_in_through_the_department_provider_and_lands_on_their_inbox_under_their_name()
    {
        var (console, client, page) = await ConsoleWithProviderAsync();
        await using var _console = console;

        await page.GotoAsync("/inbox");
        Assert.Contains("/signin", page.Url);
        // A deployment offers no development sign-in.
        await Expect(page.Locator("button[data-person]")).ToHaveCountAsync(0);
        await Expect(page.GetByText("Development sign-in")).ToHaveCountAsync(0);
        await ConsoleSystem.ScreenshotAsync(page, "signin-department");

        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with your department account" }).ClickAsync();
        await Expect(page.Locator("input[name=login]")).ToBeVisibleAsync();
        await ConsoleSystem.ScreenshotAsync(page, "signin-provider");
        await OidcTestProvider.SignInOnProviderPageAsync(page, "p-1014");

        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("Samuel Osei");
        await ConsoleSystem.ScreenshotAsync(page, "signin-landed-inbox");
        Assert.EndsWith("/inbox", new Uri(page.Url).AbsolutePath);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "My inbox" })).ToBeVisibleAsync();
        // The inbox came from assignment, called with the provider's access token.
        await Expect(page.GetByTestId("my-cases")).ToBeVisibleAsync();
        await Expect(page.Locator(".dev-banner")).ToHaveCountAsync(0);

        // What the provider was asked for: the code flow with PKCE, a nonce and a state, for the services' resource.
        var asked = Assert.Single(system.Provider.AuthorizationsFor(client.ClientId));
        Assert.Equal("code", asked.GetProperty("response_type").GetString());
        Assert.Equal("S256", asked.GetProperty("code_challenge_method").GetString());
        Assert.True(asked.GetProperty("code_challenge").GetBoolean());
        Assert.True(asked.GetProperty("nonce").GetBoolean());
        Assert.True(asked.GetProperty("state").GetBoolean());
        Assert.Equal(OidcTestProvider.ServicesResource, asked.GetProperty("resource").GetString());

        // An investigator is kept out of the pages of other roles.
        await page.GotoAsync("/audit");
        await Expect(page.GetByTestId("denied")).ToContainTextAsync("Samuel Osei");
    }

    [Fact]
    public async Task Signing_out_ends_the_provider_session_so_the_next_sign_in_asks_who_is_there()
    {
        var (console, client, page) = await ConsoleWithProviderAsync();
        await using var _console = console;
        await StartSignInAsync(page);
        await OidcTestProvider.SignInOnProviderPageAsync(page, "p-1014");
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("Samuel Osei");

        // While the provider's session lasts, losing only the console's session signs the person straight back in.
        await page.Context.ClearCookiesAsync(new() { Name = "accountability.console" });
        await StartSignInAsync(page);
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("Samuel Osei");

        // Signing out ends the provider's session too (RP-initiated logout), then comes back to the console.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, sign me out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "You are signed out" })).ToBeVisibleAsync();
        await ConsoleSystem.ScreenshotAsync(page, "signed-out");
        Assert.StartsWith(console.BaseAddress.ToString().TrimEnd('/'), page.Url);
        Assert.Equal(1, system.Provider.SessionsEndedFor(client.ClientId));

        await page.GotoAsync("/inbox");
        Assert.Contains("/signin", page.Url);
        await StartSignInAsync(page);
        await Expect(page.Locator("input[name=login]")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_callback_with_a_tampered_or_replayed_state_signs_nobody_in()
    {
        var (console, _) = await system.StartConsoleWithProviderAsync();
        await using var _console = console;
        var callbackPrefix = $"{console.BaseAddress.ToString().TrimEnd('/')}/signin/oidc/callback?";

        // A genuine sign-in, and the provider's answer that brought it back.
        var page = await system.OpenAsync(baseUrl: console.BaseAddress.ToString());
        var callbacks = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Url.StartsWith(callbackPrefix, StringComparison.Ordinal))
                callbacks.Add(request.Url);
        };
        await StartSignInAsync(page);
        await OidcTestProvider.SignInOnProviderPageAsync(page, "p-1014");
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("Samuel Osei");
        var genuine = Assert.Single(callbacks);

        // Replayed: the same answer again, in the same browser and in one that never started a sign-in.
        foreach (var browser in new[] { page, await system.OpenAsync(baseUrl: console.BaseAddress.ToString()) })
        {
            if (browser == page)
                await page.Context.ClearCookiesAsync(new() { Name = "accountability.console" });
            await browser.GotoAsync(genuine);
            await Expect(browser.GetByRole(AriaRole.Alert)).ToContainTextAsync("Please start again");
            await Expect(browser.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        }

        // Tampered: a browser in the middle of its own sign-in is handed the answer with one character of the state changed.
        var tampered = await system.OpenAsync(baseUrl: console.BaseAddress.ToString());
        await StartSignInAsync(tampered);
        await Expect(tampered.Locator("input[name=login]")).ToBeVisibleAsync();
        var query = QueryHelpers.ParseQuery(new Uri(genuine).Query).ToDictionary(p => p.Key, p => (string?)p.Value.ToString());
        var state = query["state"]!;
        query["state"] = state[..^1] + (state[^1] == 'A' ? 'B' : 'A');
        await tampered.GotoAsync(QueryHelpers.AddQueryString(genuine.Split('?')[0], query));
        await Expect(tampered.GetByRole(AriaRole.Alert)).ToContainTextAsync("Please start again");
        await Expect(tampered.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        await tampered.GotoAsync("/inbox");
        Assert.Contains("/signin", tampered.Url);
    }

    [Fact]
    public async Task A_sign_in_whose_nonce_this_browser_does_not_hold_is_refused()
    {
        var (console, _, page) = await ConsoleWithProviderAsync();
        await using var _console = console;
        await StartSignInAsync(page);
        await Expect(page.Locator("input[name=login]")).ToBeVisibleAsync();

        // The id token will name a nonce; the browser no longer holds it (as when an id token is injected into another session).
        var nonces = (await page.Context.CookiesAsync()).Where(c => c.Name.StartsWith(".AspNetCore.OpenIdConnect.Nonce.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(nonces);
        foreach (var nonce in nonces)
            await page.Context.ClearCookiesAsync(new() { Name = nonce.Name });
        await OidcTestProvider.SignInOnProviderPageAsync(page, "p-1014");

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("cannot accept");
        await ConsoleSystem.ScreenshotAsync(page, "signin-refused");
        await Expect(page.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
        Assert.Contains("nonce", console.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Every_service_accepts_the_providers_access_token_for_its_audience_and_refuses_one_for_another()
    {
        var forServices = await system.Provider.AccessTokenAsync(system.Browser, "p-1005", OidcTestProvider.ServicesResource);
        var forPayroll = await system.Provider.AccessTokenAsync(system.Browser, "p-1005", OidcTestProvider.PayrollResource);
        var investigator = await system.Provider.AccessTokenAsync(system.Browser, "p-1014", OidcTestProvider.ServicesResource);

        foreach (var service in new[] { system.Intake, system.Assignment, system.Escalation, system.Notification, system.Audit })
        {
            // An admin-only route: the provider's token names the person and carries their role.
            var accepted = await service.GetAsync("/api/ops/outbox", forServices);
            Assert.True(accepted.Status == HttpStatusCode.OK, $"{service.Name}: {accepted}");
            var otherAudience = await service.GetAsync("/api/ops/outbox", forPayroll);
            Assert.True(otherAudience.Status == HttpStatusCode.Unauthorized, $"{service.Name}: {otherAudience}");
            var wrongRole = await service.GetAsync("/api/ops/outbox", investigator);
            Assert.True(wrongRole.Status == HttpStatusCode.Forbidden, $"{service.Name}: {wrongRole}");
            // The local test tokens are still accepted beside the provider's.
            var local = await service.GetAsync("/api/ops/outbox", ConsoleSystem.Token("p-1005", Roles.Admin));
            Assert.True(local.Status == HttpStatusCode.OK, $"{service.Name}: {local}");
        }
    }

    /// <summary>A console as deployed, signing in through the test provider, and a fresh browser on it.</summary>
    private async Task<(ServiceProcess Console, OidcTestProvider.RegisteredClient Client, IPage Page)> ConsoleWithProviderAsync()
    {
        var (console, client) = await system.StartConsoleWithProviderAsync();
        return (console, client, await system.OpenAsync(baseUrl: console.BaseAddress.ToString()));
    }

    /// <summary>From the console's sign-in page to the provider's, as a person clicks through.</summary>
    private static async Task StartSignInAsync(IPage page)
    {
        await page.GotoAsync("/signin");
        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with your department account" }).ClickAsync();
    }

    [Fact]
    public async Task The_development_sign_in_refuses_to_start_outside_development_mode()
    {
        await using var console = await system.StartConsoleAsync("Production", new Dictionary<string, string> { ["Console__DevelopmentSignIn"] = "true" }, waitUntilReady: false);
        await Eventually.HoldsAsync(() => console.HasExited, "the console refuses to start", TimeSpan.FromSeconds(60));
        Assert.Contains("only allowed when ASPNETCORE_ENVIRONMENT=Development", console.Output);
    }

    [Theory]
    [InlineData("https%3A%2F%2Fevil.example%2F")]
    [InlineData("%2F%09%2Fevil.example%2F")] // "/\t/evil.example/": answered 500 once (issue 17, finding 11)
    [InlineData("%2F%0A%2Fevil.example%2F")]
    public async Task A_return_address_outside_the_console_is_never_followed_after_sign_in(string returnUrl)
    {
        var page = await system.OpenAsync();
        await page.GotoAsync($"/signin?returnUrl={returnUrl}");
        await page.Locator("button[data-person='p-1009']").ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToBeVisibleAsync();
        Assert.StartsWith(system.Console.BaseAddress.ToString().TrimEnd('/'), page.Url);
    }
}
