using Accountability.Console.Tests.Support;
using Accountability.TestSupport;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Accountability.Console.Tests;

[Collection(nameof(ConsoleSystem))]
public sealed class SignInTests(ConsoleSystem system)
{
    [Fact]
    public async Task A_deployment_signs_staff_in_through_OpenID_Connect_and_offers_no_development_sign_in()
    {
        await using var provider = await TestIdentityProvider.StartAsync();
        await using var console = await system.StartConsoleAsync("Production", new Dictionary<string, string>
        {
            ["Console__Oidc__Authority"] = provider.Authority,
            ["Console__Oidc__ClientId"] = TestIdentityProvider.ClientId,
            ["Console__Oidc__RequireHttpsMetadata"] = "false",
        });
        var page = await system.OpenAsync(baseUrl: console.BaseAddress.ToString());

        await page.GotoAsync("/inbox");
        Assert.Contains("/signin", page.Url);
        await Expect(page.Locator("button[data-person]")).ToHaveCountAsync(0);
        await Expect(page.GetByText("Development sign-in")).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Link, new() { Name = "Sign in with your department account" }).ClickAsync();
        await Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("Samuel Osei");
        Assert.EndsWith("/inbox", new Uri(page.Url).AbsolutePath);
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "My inbox" })).ToBeVisibleAsync();
        // The inbox came from assignment, called with the provider's access token.
        await Expect(page.GetByTestId("my-cases")).ToBeVisibleAsync();
        await Expect(page.Locator(".dev-banner")).ToHaveCountAsync(0);
        Assert.Equal(1, provider.CodesExchanged);

        // Signing out ends the provider's session too (RP-initiated logout), then comes back to the console.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "You are signed out" })).ToBeVisibleAsync();
        var ended = Assert.Single(provider.EndedSessions);
        Assert.Equal(TestIdentityProvider.ClientId, ended.ClientId);
        Assert.Equal(Assert.Single(provider.IssuedIdTokens), ended.IdTokenHint);
        Assert.Equal($"{console.BaseAddress.ToString().TrimEnd('/')}/signout", ended.PostLogoutRedirectUri);
        await page.GotoAsync("/inbox");
        Assert.Contains("/signin", page.Url);

        // A callback that did not start here (a forged or replayed state) signs nobody in.
        var stranger = await system.OpenAsync(baseUrl: console.BaseAddress.ToString());
        await stranger.GotoAsync("/signin/oidc/callback?code=ABC&state=forged");
        await Expect(stranger.GetByRole(AriaRole.Alert)).ToContainTextAsync("Please start again");
        await Expect(stranger.GetByTestId("signed-in-as")).ToHaveCountAsync(0);
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
