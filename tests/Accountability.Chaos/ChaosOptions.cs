using System.Globalization;

namespace Accountability.Chaos;

/// <summary>Command-line options. Full run by default: 5,000 complaints, every fault, 10,000 fuzz requests.</summary>
public sealed record ChaosOptions
{
    public int Complaints { get; init; } = 5_000;

    public double Rate { get; init; } = 25;

    public int Concurrency { get; init; } = 16;

    public TimeSpan KillEvery { get; init; } = TimeSpan.FromSeconds(6);

    public TimeSpan Drain { get; init; } = TimeSpan.FromMinutes(10);

    public int FuzzRequests { get; init; } = 10_000;

    public int FuzzSeed { get; init; } = 20_260_307;

    public int Seed { get; init; } = 7;

    public string Profile { get; init; } = "chaos";

    public bool Quick { get; init; }

    /// <summary>Against a cluster of containers (three RabbitMQ nodes, PostgreSQL with failover) with the cluster's faults, three instances of every service.</summary>
    public bool Cluster { get; init; }

    public bool SkipFuzz { get; init; }

    public bool SkipChaos { get; init; }

    /// <summary>Use the servers the environment names (ConnectionStrings__Accountability, RabbitMq__Uri, ACCOUNTABILITY_INFRA/PROFILE) instead of starting a profile.</summary>
    public bool UseEnvironment { get; init; }

    public const string Usage = """
        usage: Accountability.Chaos [--quick] [--complaints N] [--rate R] [--concurrency C] [--kill-every SECONDS]
                                    [--drain SECONDS] [--fuzz-requests N] [--fuzz-seed S] [--seed S] [--profile chaos|test|up]
                                    [--skip-fuzz] [--skip-chaos] [--use-env] [--cluster]
          --use-env  servers already running, named by the environment (e.g. `source /tmp/dev/env`); faults go through $ACCOUNTABILITY_INFRA
          --quick   600 complaints at 5/s, a kill every 4 s, 1,000 fuzz requests (a few minutes)
          --cluster against three RabbitMQ nodes and PostgreSQL with failover, as containers (make chaos CLUSTER=1):
                    5,000 complaints at 6/s (2,400 at 5/s with --quick), a kill every 8 s, the cluster's faults, no fuzzing
        """;

    public static ChaosOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        // On the cluster the faults take minutes each (a promotion, a rolling restart), so the load runs long enough
        // to hold all of them, at a rate two cores carry beside six server containers and fifteen service processes.
        // The fuzz campaign is about the services' input, not the cluster: make chaos runs it.
        var options = (quick, args.Contains("--cluster")) switch
        {
            (true, true) => new ChaosOptions { Quick = true, Cluster = true, Complaints = 2_400, Rate = 5, KillEvery = TimeSpan.FromSeconds(8), SkipFuzz = true },
            (false, true) => new ChaosOptions { Cluster = true, Complaints = 5_000, Rate = 6, KillEvery = TimeSpan.FromSeconds(8), SkipFuzz = true },
            // The faults after the PostgreSQL restart run one after another (second instances start, a broker restart, back to
            // one) and take about 40 s: 600 complaints hold them all, where 200 had to be stretched (Load.RunAsync) to do so.
            (true, false) => new ChaosOptions { Quick = true, Complaints = 600, Rate = 5, KillEvery = TimeSpan.FromSeconds(4), Drain = TimeSpan.FromMinutes(4), FuzzRequests = 1_000 },
            _ => new ChaosOptions(),
        };
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--quick" or "--cluster" => options,
                "--complaints" => options with { Complaints = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--rate" => options with { Rate = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--concurrency" => options with { Concurrency = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--kill-every" => options with { KillEvery = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)) },
                "--drain" => options with { Drain = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture)) },
                "--fuzz-requests" => options with { FuzzRequests = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--fuzz-seed" => options with { FuzzSeed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = int.Parse(Value(), CultureInfo.InvariantCulture) },
                "--profile" => options with { Profile = Value() },
                "--skip-fuzz" => options with { SkipFuzz = true },
                "--skip-chaos" => options with { SkipChaos = true },
                "--use-env" => options with { UseEnvironment = true },
                _ => throw new ArgumentException($"unknown argument {args[i]}"),
            };
        }
        if (options.Complaints < 1 || options.Rate <= 0 || options.Concurrency < 1)
            throw new ArgumentException("--complaints, --rate and --concurrency must be positive");
        if (options.Cluster && options.UseEnvironment)
            throw new ArgumentException("--cluster starts servers of its own: it cannot take them from the environment (--use-env)");
        return options;
    }
}
