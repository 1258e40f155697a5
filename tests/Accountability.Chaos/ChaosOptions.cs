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

    public bool SkipFuzz { get; init; }

    public bool SkipChaos { get; init; }

    /// <summary>Use the servers the environment names (ConnectionStrings__Accountability, RabbitMq__Uri, ACCOUNTABILITY_INFRA/PROFILE) instead of starting a profile.</summary>
    public bool UseEnvironment { get; init; }

    public const string Usage = """
        usage: Accountability.Chaos [--quick] [--complaints N] [--rate R] [--concurrency C] [--kill-every SECONDS]
                                    [--drain SECONDS] [--fuzz-requests N] [--fuzz-seed S] [--seed S] [--profile chaos|test|up]
                                    [--skip-fuzz] [--skip-chaos] [--use-env]
          --use-env  servers already running, named by the environment (e.g. `source /tmp/dev/env`); faults go through $ACCOUNTABILITY_INFRA
          --quick   200 complaints at 5/s, a kill every 4 s, 1,000 fuzz requests (a few minutes)
        """;

    public static ChaosOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        var options = quick
            ? new ChaosOptions { Quick = true, Complaints = 200, Rate = 5, KillEvery = TimeSpan.FromSeconds(4), Drain = TimeSpan.FromMinutes(4), FuzzRequests = 1_000 }
            : new ChaosOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--quick" => options,
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
        return options;
    }
}
