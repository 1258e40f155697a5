using System.Text;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Accountability.TestSupport;

/// <summary>
/// The PostgreSQL and RabbitMQ of one test process (so of one test assembly): containers of our own
/// images (deploy/images/build.sh), started on first use, shared by every fixture of the assembly and
/// removed when the process exits. Fixtures still isolate themselves inside them (a database or schema
/// and a virtual host each), as they did on the shared local servers.
/// </summary>
internal sealed class TestServers
{
    public const string PostgresImage = "accountability/postgres:15";
    public const string RabbitMqImage = "accountability/rabbitmq:3.10-management";

    // Ryuk cannot run here (no registry to pull it from): deploy/docker/engine.sh cleanup removes
    // containers by these labels, all of them or only a run's.
    internal const string TestLabel = "org.accountability.test";
    internal const string RunLabel = "org.accountability.test.run";
    internal const string AssemblyLabel = "org.accountability.test.assembly";
    private const string Password = "accountability";

    private static readonly Lazy<TestServers> Started = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly PostgreSqlContainer postgres;
    private readonly RabbitMqContainer rabbitMq;

    private TestServers(PostgreSqlContainer postgres, RabbitMqContainer rabbitMq)
    {
        this.postgres = postgres;
        this.rabbitMq = rabbitMq;
        var host = postgres.Hostname;
        // The same owner login, database and pool size as deploy/local/infra.sh's servers.
        PostgresConnectionString = $"Host={host};Port={postgres.GetMappedPublicPort(5432)};Database=accountability;Username=accountability;Password={Password};Maximum Pool Size=50";
        RabbitMqUri = $"amqp://accountability:{Password}@{rabbitMq.Hostname}:{rabbitMq.GetMappedPublicPort(5672)}/";
        RabbitMqManagementUri = $"http://{rabbitMq.Hostname}:{rabbitMq.GetMappedPublicPort(15672)}/";
    }

    public static TestServers Instance => Started.Value;

    public string PostgresConnectionString { get; }

    public string RabbitMqUri { get; }

    public string RabbitMqManagementUri { get; }

    private static TestServers Start()
    {
        var (run, assembly) = RunAndAssembly();

        // The init scripts run as the superuser on the container's first start, as infra.sh's bootstrap
        // does: the owner login has the same (non-superuser) privileges as on the local servers, and the
        // services' own logins exist before any fixture needs them.
        var owner = """
            CREATE ROLE accountability LOGIN CREATEROLE CREATEDB PASSWORD 'accountability';
            CREATE DATABASE accountability OWNER accountability;
            """;
        var serviceLogins = File.ReadAllBytes(RepositoryPaths.File("deploy", "postgres", "service-logins.sql"));

        var postgres = new PostgreSqlBuilder(PostgresImage)
            .WithUsername("postgres")
            .WithPassword("postgres")
            .WithDatabase("postgres")
            .WithResourceMapping(Encoding.UTF8.GetBytes(owner), "/docker-entrypoint-initdb.d/10-owner.sql")
            .WithResourceMapping(serviceLogins, "/docker-entrypoint-initdb.d/20-service-logins.sql")
            // infra.sh allows 400: an assembly's fixtures run several services with pools of their own.
            .WithCommand("-c", "max_connections=400")
            .WithLabel(TestLabel, "true").WithLabel(RunLabel, run).WithLabel(AssemblyLabel, assembly)
            .Build();
        var rabbitMq = new RabbitMqBuilder(RabbitMqImage)
            .WithUsername("accountability")
            .WithPassword(Password)
            // The management API: fixtures create their virtual hosts and read queues through it.
            .WithPortBinding(15672, true)
            .WithLabel(TestLabel, "true").WithLabel(RunLabel, run).WithLabel(AssemblyLabel, assembly)
            .Build();

        try
        {
            // Both at once: each takes seconds, mostly waiting. Task.Run keeps xUnit's synchronisation
            // context out of the blocking wait (the first caller is often a synchronous property).
            Task.Run(() => Task.WhenAll(postgres.StartAsync(), rabbitMq.StartAsync())).GetAwaiter().GetResult();
        }
        catch (Exception exception)
        {
            Remove(postgres, rabbitMq);
            throw new InvalidOperationException(
                $"Could not start the test servers ({PostgresImage}, {RabbitMqImage}) for {assembly}. Run the tests with `make test`, " +
                "or first `eval \"$(deploy/docker/engine.sh start)\"` and `deploy/images/build.sh postgres rabbitmq`; " +
                "ACCOUNTABILITY_TEST_SERVERS=local uses the servers of deploy/local/infra.sh instead. " + exception.Message, exception);
        }

        // Without Ryuk nothing else removes them when the test host ends normally; a host that crashes
        // leaves them to deploy/local/test.sh's cleanup (engine.sh cleanup).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Remove(postgres, rabbitMq);
        var servers = new TestServers(postgres, rabbitMq);
        // Also into this process's environment, as test.sh exported them before, so any process a test
        // starts without naming them still finds the same servers.
        Environment.SetEnvironmentVariable("ConnectionStrings__Accountability", servers.PostgresConnectionString);
        Environment.SetEnvironmentVariable("RabbitMq__Uri", servers.RabbitMqUri);
        Environment.SetEnvironmentVariable("RabbitMq__ManagementUri", servers.RabbitMqManagementUri);
        return servers;
    }

    /// <summary>The values of <see cref="RunLabel"/> and <see cref="AssemblyLabel"/> for this test process.</summary>
    internal static (string Run, string Assembly) RunAndAssembly() =>
        (Environment.GetEnvironmentVariable("ACCOUNTABILITY_TEST_RUN") is { Length: > 0 } marker ? marker : $"process-{Environment.ProcessId}",
         AppDomain.CurrentDomain.GetAssemblies()
            .Select(a => a.GetName().Name).FirstOrDefault(n => n is not null && n.EndsWith(".Tests", StringComparison.Ordinal)) ?? "unknown");

    private static void Remove(params IContainer[] containers)
    {
        try
        {
            Task.Run(() => Task.WhenAll(containers.Select(c => c.DisposeAsync().AsTask()))).Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
            // Best effort at exit: engine.sh cleanup removes whatever is left by its labels.
        }
    }
}
