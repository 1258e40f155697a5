using Accountability.Messaging.Migrations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Accountability.Messaging.Identity;

/// <summary>
/// Loads the stored directory people at start, once the schema is migrated, and again every few seconds:
/// the instances of a service share one queue, so only one of them consumes each DirectoryPublished, and
/// the others learn of it from the table (a version check, so nearly free when nothing changed).
/// </summary>
public sealed class PeopleInForceLoader(PeopleInForce people, MigrationGate migrations, ILogger<PeopleInForceLoader> logger) : BackgroundService
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(3);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(RefreshInterval);
        do
        {
            try
            {
                await people.ReloadAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Could not read the directory's people; keeping the version in memory");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
