using Accountability.Messaging.Migrations;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Accountability.Messaging.Database;

/// <summary>Ready needs this service's migrations applied, besides a database that answers (the "database" check).</summary>
public sealed class MigrationsHealthCheck(MigrationGate migrations) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(migrations.IsOpen
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("Schema migrations have not been applied yet."));
}
