using Accountability.Assignment.Data;
using Accountability.Messaging.Migrations;

namespace Accountability.Assignment.Features.Directory;

/// <summary>
/// Loads the directory in force. On a first start the database has none, so the seed file
/// (Directory:SeedPath) is validated, stored as version 1 and published; an invalid seed stops the
/// start with the list of problems. Later edits go through the API; every instance re-reads the
/// newest version periodically so all of them agree. The version in force is announced again at every later
/// start, half a minute after any start, and then every Directory:AnnounceEvery (5 minutes by default): a service
/// whose queue did not exist yet when it was published (a fresh broker, everything starting at once) never got
/// it, and RabbitMQ drops what no queue is bound for. Consumers keep only a newer version, so a repeat is free.
/// </summary>
public sealed class DirectoryHostedService(
    DirectoryStore store, MigrationGate migrations, IConfiguration configuration, ILogger<DirectoryHostedService> logger) : BackgroundService
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FirstAnnouncementAgain = TimeSpan.FromSeconds(30);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Validate the seed file before anything starts, even when the database already has a directory:
        // a broken file in the repository should never go unnoticed.
        var seedPath = configuration["Directory:SeedPath"] ?? Path.Combine("deploy", "org", "directory.json");
        var seed = DirectoryLoader.Load(seedPath);
        AnnounceEvery(configuration);
        await base.StartAsync(cancellationToken);
        await migrations.WaitAsync(cancellationToken);
        if (await store.LatestAsync(cancellationToken) is null)
        {
            var version = await store.PublishAsync(seed, "system:seed", $"Seeded from {Path.GetFileName(seedPath)}", cancellationToken);
            logger.LogInformation("Org directory seeded from {SeedPath} as version {Version}", seedPath, version);
        }
        else
        {
            await store.RepublishLatestAsync("Announced again at assignment start-up", cancellationToken);
        }
        await store.RefreshAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var announceEvery = AnnounceEvery(configuration);
        var nextAnnouncement = DateTimeOffset.UtcNow + (announceEvery < FirstAnnouncementAgain ? announceEvery : FirstAnnouncementAgain);
        using var timer = new PeriodicTimer(announceEvery < RefreshInterval ? announceEvery : RefreshInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await store.RefreshAsync(stoppingToken);
                if (DateTimeOffset.UtcNow >= nextAnnouncement)
                {
                    await store.RepublishLatestAsync("Announced again for services that missed it", stoppingToken);
                    nextAnnouncement = DateTimeOffset.UtcNow + announceEvery;
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Could not refresh or announce the org directory; keeping version in memory");
            }
        }
    }

    /// <summary>Directory:AnnounceEvery, a positive time span; anything else stops the start with the reason.</summary>
    public static TimeSpan AnnounceEvery(IConfiguration configuration)
    {
        var text = configuration["Directory:AnnounceEvery"];
        if (string.IsNullOrWhiteSpace(text))
            return TimeSpan.FromMinutes(5);
        if (!TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var every) || every <= TimeSpan.Zero)
            throw new InvalidOperationException($"Directory:AnnounceEvery must be a positive time span such as 00:05:00, not '{text}'.");
        return every;
    }
}
