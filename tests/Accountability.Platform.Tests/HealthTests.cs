using System.Net;
using System.Text.Json;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Platform.Tests;

[Collection(nameof(FiveServices))]
public sealed class HealthTests(FiveServices services)
{
    [Fact]
    public async Task Every_service_is_live_and_ready_with_its_database_and_broker_checks()
    {
        foreach (var service in services.All)
        {
            using var live = await service.Client.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);

            using var ready = await service.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            var checks = body.RootElement.GetProperty("checks");
            Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
            Assert.Equal("Healthy", checks.GetProperty("broker").GetProperty("status").GetString());
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
