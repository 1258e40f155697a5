using System.Globalization;

namespace Accountability.Bench;

/// <summary>The command line. Full mode by default; --quick shrinks every phase so the whole run takes under two minutes.</summary>
public sealed record BenchOptions
{
    public const string Usage = """
        Accountability benchmark: baselines, end-to-end load and audit replay on this machine.

        usage: Accountability.Bench [options]
          --cases N           complaints per end-to-end phase (default 1000; quick 100)
          --rate R            offered rate of the fixed-rate phase, complaints per second (default 5; quick 5)
          --concurrency C     requests in flight in the maximum-rate phase (default 16; quick 8)
          --burst-seconds S   how long the burst phase offers 4x the measured maximum (default 30; 0 skips it)
          --replay-events N   audit events to verify and rebuild (default 1000000; quick 20000; at least 1000)
          --quick             the quick mode: small sizes, short baselines
          --profile P         deploy/local/infra.sh profile for the throwaway servers (default bench)
          --setting K=V       an extra setting for every service, e.g. Messaging__PrefetchCount=64, or for one
                              service: Audit:Messaging__PrefetchCount=4 (repeatable)
          --ref GITREF        also build that commit in a worktree (.state/<profile>/ref-<sha>) and run the same
                              end-to-end load against its services first, on fresh servers; then print
                              both runs' figures side by side with their ratios (make bench REF=<gitref>)
          --rounds N          with --ref: N pairs of runs instead of one, alternating that commit and this
                              checkout, each on fresh servers; the extra pairs run the two measured phases
                              only, this checkout first in every other one, starting with the first (the
                              last pair runs that commit first), so with an even N each side goes first
                              in half the pairs. Prints every pair and the median ratios: two halves of
                              identical code differed by up to 1.36x in one pair, so one pair cannot
                              resolve a small change (default 1; at most 9; make bench REF=<gitref> ROUNDS=4)
          --keep              leave the servers and the services running afterwards (for a look at them)
          --output FILE       the JSON results (default bench/results/latest.json)
          -h, --help          this text

        Needs the Release build of the five services (make bench builds it). Exit codes: 0 done,
        1 a phase failed, 2 bad arguments.
        """;

    public int Cases { get; init; }
    public double Rate { get; init; }
    public int Concurrency { get; init; }
    public long ReplayEvents { get; init; }

    /// <summary>The burst phase offers four times the measured maximum for this long (issue 18: no congestion collapse).</summary>
    public int BurstSeconds { get; init; } = 30;

    /// <summary>After the maximum, the same number of complaints at half its rate (issue 18: receipt -> owned p99 there).</summary>
    public bool HalfMaximumPhase { get; init; } = true;
    public bool Quick { get; init; }
    public string Profile { get; init; } = "bench";
    public bool Keep { get; init; }
    public string? Output { get; init; }

    /// <summary>A commit to run the same load against first, for a side-by-side comparison.</summary>
    public string? Ref { get; init; }

    /// <summary>Pairs of (reference, this checkout) to run, alternating; the last pair is the full run.</summary>
    public int Rounds { get; init; } = 1;
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>Baseline durations and sizes follow the mode.</summary>
    public int RabbitMessages => Quick ? 5_000 : 30_000;
    public TimeSpan NpgsqlDuration => Quick ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(15);

    /// <summary>Null and a message when the arguments are bad; the options otherwise. Help is returned as <paramref name="help"/>.</summary>
    public static BenchOptions? Parse(string[] args, out string? error, out bool help)
    {
        error = null;
        help = false;
        int? cases = null, concurrency = null;
        var burstSeconds = 30;
        double? rate = null;
        long? replay = null;
        var quick = false;
        var keep = false;
        var profile = "bench";
        string? output = null;
        string? reference = null;
        var rounds = 1;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            string? Value()
            {
                if (i + 1 < args.Length)
                    return args[++i];
                return null;
            }
            switch (arg)
            {
                case "-h" or "--help":
                    help = true;
                    return null;
                case "--quick":
                    quick = true;
                    break;
                case "--keep":
                    keep = true;
                    break;
                case "--cases":
                    if (!TryInt(Value(), 1, 1_000_000, out var c)) { error = "--cases needs a whole number from 1 to 1000000"; return null; }
                    cases = c;
                    break;
                case "--concurrency":
                    if (!TryInt(Value(), 1, 1024, out var cc)) { error = "--concurrency needs a whole number from 1 to 1024"; return null; }
                    concurrency = cc;
                    break;
                case "--burst-seconds":
                    if (!TryInt(Value(), 0, 3600, out burstSeconds)) { error = "--burst-seconds needs a whole number of seconds from 0 to 3600"; return null; }
                    break;
                case "--rate":
                    if (!double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var r) || !double.IsFinite(r) || r <= 0 || r > 100_000)
                    { error = "--rate needs a number of complaints per second above 0 (at most 100000)"; return null; }
                    rate = r;
                    break;
                case "--replay-events":
                    if (!long.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1000 || n > 100_000_000)
                    { error = "--replay-events needs a whole number from 1000 to 100000000"; return null; }
                    replay = n;
                    break;
                case "--profile":
                    var p = Value();
                    if (p is null || !System.Text.RegularExpressions.Regex.IsMatch(p, "^[a-z][a-z0-9-]{0,30}$")) { error = "--profile needs a profile name such as test"; return null; }
                    profile = p;
                    break;
                case "--setting":
                    var kv = Value();
                    var eq = kv?.IndexOf('=', StringComparison.Ordinal) ?? -1;
                    if (kv is null || eq < 1) { error = "--setting needs KEY=VALUE, e.g. Messaging__PrefetchCount=64"; return null; }
                    settings[kv[..eq]] = kv[(eq + 1)..];
                    break;
                case "--ref":
                    reference = Value();
                    if (string.IsNullOrWhiteSpace(reference) || reference.StartsWith('-'))
                    { error = "--ref needs a git commit, tag or branch, e.g. --ref HEAD~5"; return null; }
                    break;
                case "--rounds":
                    if (!TryInt(Value(), 1, 9, out rounds)) { error = "--rounds needs a whole number from 1 to 9"; return null; }
                    break;
                case "--output":
                    output = Value();
                    if (string.IsNullOrWhiteSpace(output)) { error = "--output needs a file name"; return null; }
                    break;
                default:
                    error = $"unknown argument '{arg}'";
                    return null;
            }
        }
        if (rounds > 1 && reference is null)
        {
            error = "--rounds compares with another commit: give it --ref too";
            return null;
        }
        return new BenchOptions
        {
            Rounds = rounds,
            Quick = quick,
            Keep = keep,
            Profile = profile,
            Output = output,
            Ref = reference,
            Settings = settings,
            Cases = cases ?? (quick ? 100 : 1000),
            Rate = rate ?? 5,
            Concurrency = concurrency ?? (quick ? 8 : 16),
            ReplayEvents = replay ?? (quick ? 20_000 : 1_000_000),
            BurstSeconds = burstSeconds,
        };
    }

    private static bool TryInt(string? text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
}
