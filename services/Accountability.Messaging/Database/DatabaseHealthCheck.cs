using Accountability.Messaging.Migrations;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Accountability.Messaging.Database;

/// <summary>Ready means the server answers and this service's migrations have been applied.</summary>
public sealed class DatabaseHealthCheck(ServiceDatabase database, MigrationGate migrations) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!migrations.IsOpen)
            return HealthCheckResult.Unhealthy("Schema migrations have not been applied yet.");
        try
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "select 1";
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception)
        {
            // The message only: an exception's full text can carry host names and user names.
            return HealthCheckResult.Unhealthy($"Database unreachable: {exception.GetType().Name}");
        }
    }
}
