using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Accountability.Messaging.Migrations;

/// <summary>
/// Brings the schema up to date before anything else starts. Registered ahead of the bus, so no
/// consumer runs against an old schema. A database that is not up yet is waited for, not fatal.
/// </summary>
public sealed class MigrationHostedService(
    MigrationRunner runner,
    MigrationGate gate,
    IReadOnlyList<Migration> migrations,
    ILogger<MigrationHostedService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await runner.ApplyAsync(migrations, cancellationToken);
                gate.Open();
                return;
            }
            catch (Exception exception) when (IsTransient(exception) && !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Database not reachable for migrations ({Reason}); retrying in {Delay}", exception.Message, delay);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // A broken migration file is a bug: fail the start loudly. An unreachable server is weather: wait.
    private static bool IsTransient(Exception exception) => Bus.TransientFailures.IsTransient(exception);
}
