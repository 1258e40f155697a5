using Accountability.TestSupport;
using Xunit;

namespace Accountability.Notification.Tests;

[Collection(nameof(NotificationService))]
public sealed class BadInputTests(NotificationService service)
{
    [Fact]
    public async Task A_template_with_an_unknown_placeholder_is_refused_at_start_up_naming_the_file_and_the_placeholder()
    {
        var templates = Path.Combine(Path.GetTempPath(), $"notification-templates-{Guid.NewGuid():N}");
        Directory.CreateDirectory(templates);
        try
        {
            foreach (var file in Directory.GetFiles(RepositoryPaths.File("services", "Notification", "Templates")))
                File.Copy(file, Path.Combine(templates, Path.GetFileName(file)));
            var broken = Path.Combine(templates, "receipt.html");
            File.AppendAllText(broken, "<p>Your code: {{trakingCode}}</p>");

            await using var process = await ServiceProcess.StartAsync("Notification", service.Settings(templates), waitUntilReady: false);

            await Eventually.HoldsAsync(() => process.HasExited, "the service refuses to start");
            await Eventually.HoldsAsync(() => process.Output.Contains("{{trakingCode}}", StringComparison.Ordinal),
                "the refusal names the placeholder");
            Assert.Contains($"{broken}: unknown placeholder {{{{trakingCode}}}}", process.Output);
            Assert.Contains("{{trackingCode}}", process.Output); // and says what the trigger does supply
        }
        finally
        {
            Directory.Delete(templates, recursive: true);
        }
    }

    [Theory]
    [InlineData("PublicSatisfactionUrl", "https://complaints.example/public/satisfaction")] // no {token}: every complainant would get the same dead link
    [InlineData("PublicSatisfactionUrl", "mailto:complaints@example.org?subject={token}")]
    [InlineData("PublicOptOutUrl", "/public/opt-out/{token}")] // relative: useless in an e-mail
    public async Task A_public_link_setting_without_a_token_or_not_http_is_refused_at_start_up(string name, string value)
    {
        var settings = service.Settings();
        settings[$"Notification__{name}"] = value;

        await using var process = await ServiceProcess.StartAsync("Notification", settings, waitUntilReady: false);

        await Eventually.HoldsAsync(() => process.HasExited, "the service refuses to start");
        await Eventually.HoldsAsync(() => process.Output.Contains($"Notification:{name} must be empty or an absolute http(s) URL containing {{token}}", StringComparison.Ordinal),
            "the refusal names the setting and what it must be");
    }
}
