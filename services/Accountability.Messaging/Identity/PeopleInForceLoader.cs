using Accountability.Messaging.Migrations;
using Microsoft.Extensions.Hosting;

namespace Accountability.Messaging.Identity;

/// <summary>Loads the stored directory people at start, once the schema is migrated.</summary>
public sealed class PeopleInForceLoader(PeopleInForce people, MigrationGate migrations) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        await people.ReloadAsync(stoppingToken);
    }
}
