using Accountability.Messaging.Bus;
using Accountability.TestSupport;
using Dapper;
using MassTransit;
using Npgsql;

namespace Accountability.Assignment.Tests.Service;

/// <summary>An assignment process of a test's own, on its own database and virtual host, for tests that start and stop it.</summary>
public static class IsolatedAssignment
{
    /// <summary>Runs <paramref name="test"/> with the database's connection string, the virtual host, and the settings that point a service at both.</summary>
    public static async Task RunAsync(
        string name, Func<string, IsolatedVirtualHost, Dictionary<string, string>, Task> test)
    {
        var database = IsolatedDatabase.NewName(name);
        var connectionString = await IsolatedDatabase.CreateAsync(TestEnvironment.PostgresConnectionString, database);
        try
        {
            await using var vhost = await IsolatedVirtualHost.CreateAsync(name.Replace('_', '-'));
            await test(connectionString, vhost, new Dictionary<string, string>
            {
                ["ConnectionStrings__Accountability"] = connectionString,
                ["RabbitMq__Uri"] = vhost.AmqpUri,
            });
        }
        finally
        {
            await IsolatedDatabase.DropAsync(TestEnvironment.PostgresConnectionString, database);
        }
    }

    public static async Task<IBusControl> StartBusAsync(string amqpUri)
    {
        var (host, port, virtualHost, user, password) = new RabbitMqOptions { Uri = amqpUri }.Parse();
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(host, port, virtualHost, h =>
        {
            h.Username(user);
            h.Password(password);
        }));
        await bus.StartAsync();
        return bus;
    }

    public static async Task<bool> RoutedAsync(string connectionString, Guid caseId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        return await connection.ExecuteScalarAsync<bool>(
            "select exists (select 1 from assignment.cases where case_id = @caseId and owner_id <> 'u-intake-desk')", new { caseId });
    }
}
