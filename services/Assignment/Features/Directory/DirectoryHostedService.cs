using Accountability.Assignment.Data;
using Accountability.Messaging.Migrations;

namespace Accountability.Assignment.Features.Directory;

/// <summary>
/// Loads the directory in force. On a first start the database has none, so the seed file
/// (Directory:SeedPath) is validated, stored as version 1 and published; an invalid seed stops the
/// start with the list of problems. Later edits go through the API; every instance re-reads the
/// newest version periodically so all of them agree. At every later start the version in force is
/// announced again, for services that started after its first announcement.
/// </summary>
public sealed class DirectoryHostedService(
    DirectoryStore store, MigrationGate migrations, IConfiguration configuration, ILogger<DirectoryHostedService> logger) : BackgroundService
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(10);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Validate the seed file before anything starts, even when the database already has a directory:
        // a broken file in the repository should never go unnoticed.
        var seedPath = configuration["Directory:SeedPath"] ?? Path.Combine("deploy", "org", "directory.json");
        var seed = DirectoryLoader.Load(seedPath);
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
        using var timer = new PeriodicTimer(RefreshInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await store.RefreshAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Could not refresh the org directory; keeping version in memory");
            }
        }
    }
}
