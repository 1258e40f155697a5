using System.Net;
using System.Text.Json;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Platform.Tests;

[Collection(nameof(FiveServices))]
public sealed class HealthTests(FiveServices services)
{
    [Fact]
    public async Task Every_service_is_live_and_ready_with_its_database_migrations_broker_and_receive_endpoint_checks()
    {
        foreach (var service in services.All)
        {
            using var live = await service.Client.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);

            using var ready = await service.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            var checks = body.RootElement.GetProperty("checks");
            foreach (var check in new[] { "database", "migrations", "broker", "receive-endpoints" })
                Assert.True(checks.TryGetProperty(check, out var entry) && entry.GetProperty("status").GetString() == "Healthy", $"{service.Name} {check}: {checks}");
        }
    }

    [Fact]
    public async Task Readiness_turns_unhealthy_while_the_broker_is_unreachable_and_healthy_when_it_returns()
    {
        services.Broker.Cut();
        try
        {
            foreach (var service in services.All)
                await Eventually.HoldsAsync(async () => await service.ReadyStatusAsync() == HttpStatusCode.ServiceUnavailable,
                    $"{service.Name} reports not ready while the broker is down", TimeSpan.FromSeconds(60));

            // The anonymous endpoint says which check failed, never where the broker is.
            using (var ready = await services["Intake"].Client.GetAsync("/health/ready"))
            {
                var text = await ready.Content.ReadAsStringAsync();
                var broker = JsonDocument.Parse(text).RootElement.GetProperty("checks").GetProperty("broker");
                Assert.Equal("Unhealthy", broker.GetProperty("status").GetString());
                Assert.DoesNotContain("127.0.0.1", text);
            }

            // Liveness is about the process, not its dependencies: restarting would not help.
            foreach (var service in services.All)
            {
                using var live = await service.Client.GetAsync("/health/live");
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }
        }
        finally
        {
            services.Broker.Restore();
        }

        foreach (var service in services.All)
            await Eventually.HoldsAsync(async () => await service.ReadyStatusAsync() == HttpStatusCode.OK,
                $"{service.Name} is ready again once the broker is back", TimeSpan.FromSeconds(90));
    }
}
