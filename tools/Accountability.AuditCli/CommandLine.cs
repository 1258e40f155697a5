namespace Accountability.AuditCli;

/// <summary>
/// The parsed command line: one command, positional arguments, and --name value options.
/// Parsed by hand (System.CommandLine is not pinned in this repository); every option is declared
/// per command, so a misspelt option is an error rather than silently ignored.
/// </summary>
public sealed class CommandLine
{
    private static readonly HashSet<string> Flags = ["--help", "-h", "--json", "--no-progress", "--no-witness"];

    private readonly Dictionary<string, string> options = new(StringComparer.Ordinal);
    private readonly HashSet<string> flags = new(StringComparer.Ordinal);

    private CommandLine(string? command, List<string> positional)
    {
        Command = command;
        Positional = positional;
    }

    public string? Command { get; }

    public IReadOnlyList<string> Positional { get; }

    public bool Help => flags.Contains("--help") || flags.Contains("-h");

    public bool Has(string flag) => flags.Contains(flag);

    public string? Option(string name) => options.GetValueOrDefault(name);

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var positional = new List<string>();
        var parsedOptions = new Dictionary<string, string>(StringComparer.Ordinal);
        var parsedFlags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (Flags.Contains(arg))
            {
                parsedFlags.Add(arg);
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var equals = arg.IndexOf('=');
                string name, value;
                if (equals > 0)
                {
                    (name, value) = (arg[..equals], arg[(equals + 1)..]);
                }
                else
                {
                    if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                        throw new UsageException($"Option {arg} needs a value.");
                    (name, value) = (arg, args[++i]);
                }
                if (!parsedOptions.TryAdd(name, value))
                    throw new UsageException($"Option {name} is given twice.");
            }
            else
            {
                positional.Add(arg);
            }
        }
        var command = positional.Count > 0 ? positional[0] : null;
        var line = new CommandLine(command, positional.Skip(1).ToList());
        foreach (var (name, value) in parsedOptions)
            line.options[name] = value;
        foreach (var flag in parsedFlags)
            line.flags.Add(flag);
        return line;
    }

    public void Allow(params string[] allowed)
    {
        var known = allowed.Concat(["--connection", "--schema"]).ToHashSet(StringComparer.Ordinal);
        var unknown = options.Keys.FirstOrDefault(o => !known.Contains(o));
        if (unknown is not null)
            throw new UsageException($"Unknown option {unknown} for '{Command}'.");
    }

    public void ExpectPositional(int count, string what)
    {
        if (Positional.Count != count)
            throw new UsageException(count == 0 ? $"'{Command}' takes no arguments." : $"'{Command}' needs {what}.");
    }
}
