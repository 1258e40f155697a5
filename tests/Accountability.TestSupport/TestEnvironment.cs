namespace Accountability.TestSupport;

/// <summary>
/// Connection settings for the throwaway servers. By default each test process (each test assembly)
/// gets PostgreSQL and RabbitMQ containers of its own (TestServers), started on first use; a Docker
/// engine and our images must be there (`make test` sees to both). With ACCOUNTABILITY_TEST_SERVERS=local
/// they are read instead from the environment variables the services use, as deploy/local/infra.sh
/// exports them (`make test` does that too when given the same variable).
/// </summary>
public static class TestEnvironment
{
    /// <summary>True when the servers are deploy/local/infra.sh's, named by the environment, instead of this process's containers.</summary>
    public static bool UsesLocalServers =>
        string.Equals(Environment.GetEnvironmentVariable("ACCOUNTABILITY_TEST_SERVERS"), "local", StringComparison.OrdinalIgnoreCase);

    public static string PostgresConnectionString => UsesLocalServers ? Require("ConnectionStrings__Accountability") : Containers.PostgresConnectionString;

    public static string RabbitMqUri => UsesLocalServers ? Require("RabbitMq__Uri") : Containers.RabbitMqUri;

    public static string RabbitMqManagementUri => UsesLocalServers ? Require("RabbitMq__ManagementUri") : Containers.RabbitMqManagementUri;

    public static string Profile => Environment.GetEnvironmentVariable("ACCOUNTABILITY_PROFILE") ?? "test";

    private static TestServers Containers => TestServers.Instance;

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Environment variable {name} is not set. With ACCOUNTABILITY_TEST_SERVERS=local, run the tests with `make test`, which starts PostgreSQL and RabbitMQ and exports it.");
}
