namespace Accountability.TestSupport;

/// <summary>
/// Connection settings for the throwaway servers, read from the same environment variables the
/// services use, exactly as a CI pipeline with service containers would provide them.
/// `make test` (deploy/local/test.sh) starts the servers and exports these.
/// </summary>
public static class TestEnvironment
{
    public static string PostgresConnectionString => Require("ConnectionStrings__Accountability");

    public static string RabbitMqUri => Require("RabbitMq__Uri");

    public static string RabbitMqManagementUri => Require("RabbitMq__ManagementUri");

    public static string Profile => Environment.GetEnvironmentVariable("ACCOUNTABILITY_PROFILE") ?? "test";

    private static string Require(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Environment variable {name} is not set. Run the tests with `make test`, which starts PostgreSQL and RabbitMQ and exports it.");
}
