using Accountability.TestSupport;
using Xunit;

namespace Accountability.Notification.Tests;

/// <summary>The tests start the service from the repository, as make up and the bench do, not from its own folder.</summary>
[Collection(nameof(NotificationService))]
public sealed class SettingsFileTests(NotificationService service)
{
    [Fact]
    public async Task Started_from_the_repository_the_service_still_gives_its_consumers_the_prefetch_of_its_own_settings_file()
    {
        // services/Notification/appsettings.json: Messaging:PrefetchCount 32. The code's default is 8, and the suite sets none.
        List<(string Queue, int Prefetch)> consumers = [];
        await Eventually.HoldsAsync(async () =>
        {
            consumers = [.. (await service.VirtualHost.ConsumersAsync()).Where(c => c.Queue.EndsWith("-case-routed", StringComparison.Ordinal))];
            return consumers.Count > 0;
        }, "notification consumes its routing news");

        Assert.All(consumers, c => Assert.Equal(32, c.Prefetch));
    }
}
