using Xunit;

namespace Accountability.Notification.Tests;

/// <summary>
/// Planning reads the directory once per transaction and shares it between the messages planned together. A directory
/// published after one transaction must still be the one the next transaction plans with. The test runs a service of its
/// own, since it changes the directory.
/// </summary>
public sealed class PlanningDirectoryTests : IAsyncLifetime
{
    private readonly NotificationService service = new();

    public Task InitializeAsync() => service.InitializeAsync();

    public Task DisposeAsync() => service.DisposeAsync();

    [Fact]
    public async Task A_case_sent_to_a_unit_after_its_commander_changed_is_announced_to_the_new_commander()
    {
        await TransferToTheUnitAsync("nt-super");

        // The unit gets a new commander; nothing else changes.
        await service.PublishDirectoryAsync(directory => directory with
        {
            Units = [.. directory.Units.Select(u => u.Id == NotificationService.UnitId ? u with { CommanderId = "nt-chief" } : u)],
        });

        await TransferToTheUnitAsync("nt-chief");
    }

    /// <summary>A new case, sent to the test unit; its commander, <paramref name="commander"/>, hears of it.</summary>
    private async Task TransferToTheUnitAsync(string commander) =>
        Assert.Equal(commander, await service.HandANewCaseToTheUnitAsync());
}
