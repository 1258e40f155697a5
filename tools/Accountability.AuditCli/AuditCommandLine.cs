using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Accountability.Audit.Features.Projections;
using Accountability.Audit.Features.Replay;

namespace Accountability.AuditCli;

/// <summary>
/// The commands, their options and their help, declared with System.CommandLine. Every option is
/// declared per command, so a misspelt one is an error rather than silently ignored; a value that
/// does not parse is refused before any command runs. Both exit with <see cref="ExitCodes.UsageError"/>.
/// </summary>
public static partial class AuditCommandLine
{
    public const string Epilogue =
        """
        Instants are ISO 8601 with an offset, e.g. 2026-03-03T14:05:00Z.
        verify remembers the highest signed head it has seen (by default under
        ~/.local/state/accountability-audit/) and fails if the trail no longer reaches it:
        its newest records were removed.

        Exit codes:
          0  success (verify: the trail is intact, or empty)
          1  verify found a bad record
          2  usage or input error (unknown command or option, bad instant, unknown case or format)
          3  cannot connect to PostgreSQL, or no audit trail in that schema
        """;

    public static readonly Option<string?> Connection = new("--connection")
    {
        Description = "Npgsql connection string (default: $ConnectionStrings__Accountability)",
        Recursive = true,
    };

    public static readonly Option<string> Schema = new("--schema")
    {
        Description = "the audit schema",
        DefaultValueFactory = _ => "audit",
        Recursive = true,
    };

    public static readonly Option<bool> NoProgress = new("--no-progress")
    {
        Description = "no progress bar on stderr (it is shown only on a terminal anyway)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "machine-readable output" };

    public static readonly Option<string?> PublicKey = new("--public-key")
    {
        Description = "trust only this ECDSA P-256 key (PEM, e.g. from GET /api/audit/public-key), not the keys recorded in the database",
        HelpName = "file.pem",
    };

    public static readonly Option<string?> KeyId = new("--key-id") { Description = "the key id the public key stands for (needs --public-key)" };

    public static readonly Option<string?> WitnessFile = new("--witness-file") { Description = "where the highest signed head seen is remembered", HelpName = "file" };

    public static readonly Option<bool> NoWitness = new("--no-witness") { Description = "neither read nor write the remembered head" };

    public static readonly Argument<Guid> CaseId = new("case-id")
    {
        Description = "the case (a GUID)",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (Guid.TryParse(text, out var caseId))
                return caseId;
            result.AddError($"'{text}' is not a case id (a GUID).");
            return default;
        },
    };

    public static readonly Option<DateTimeOffset> AsOf = new("--as-of")
    {
        Description = "the instant to replay the case to",
        HelpName = "instant",
        Required = true,
        CustomParser = result => ParseInstant(result, "--as-of") ?? default,
    };

    public static readonly Option<string> Format = new("--format") { Description = "jsonl or csv", Required = true, HelpName = "jsonl|csv" };

    public static readonly Option<DateTimeOffset?> From = new("--from")
    {
        Description = "the first instant of the window (inclusive)",
        HelpName = "instant",
        CustomParser = result => ParseInstant(result, "--from"),
    };

    public static readonly Option<DateTimeOffset?> To = new("--to")
    {
        Description = "the end of the window (exclusive)",
        HelpName = "instant",
        CustomParser = result => ParseInstant(result, "--to"),
    };

    public static readonly Option<string?> Out = new("--out") { Description = "write to this file instead of stdout", HelpName = "file" };

    public static readonly Argument<string> Projection = new("projection")
    {
        Description = $"{string.Join(", ", CaseProjections.Names)} or all",
        Arity = ArgumentArity.ZeroOrOne,
        DefaultValueFactory = _ => "all",
    };

    static AuditCommandLine()
    {
        Schema.Validators.Add(result =>
        {
            var schema = result.GetValueOrDefault<string>();
            if (!SqlIdentifier().IsMatch(schema))
                result.AddError($"--schema '{schema}' is not a lower-case SQL identifier.");
        });
        Projection.Validators.Add(result =>
        {
            var name = result.GetValueOrDefault<string>();
            if (name != "all" && !CaseProjections.Names.Contains(name))
                result.AddError($"Unknown projection '{name}'. Known: {string.Join(", ", CaseProjections.Names)}, all.");
        });
    }

    /// <summary>The command tree, each command running its body in <paramref name="commands"/>.</summary>
    public static RootCommand Build(AuditCommands commands)
    {
        var verify = new Command("verify", "Recompute every hash chain and checkpoint signature; name the first bad record.")
        {
            PublicKey, KeyId, WitnessFile, NoWitness, Json,
        };
        verify.Validators.Add(result =>
        {
            if (result.GetResult(KeyId) is not null && result.GetResult(PublicKey) is null)
                result.AddError("--key-id needs --public-key.");
            if (result.GetResult(WitnessFile) is not null && result.GetResult(NoWitness) is not null)
                result.AddError("--witness-file and --no-witness contradict each other.");
        });
        verify.SetAction(commands.VerifyAsync);

        var trail = new Command("trail", "Every step of a case: seq, type, when, actor, owner after the step, reason, trace id.") { CaseId, Json };
        trail.SetAction(commands.TrailAsync);

        var replay = new Command("replay", "The case as it stood at that instant (JSON): status, owner, pending handoff, acknowledgement, allegations and findings, custody so far.")
        {
            CaseId, AsOf,
        };
        replay.SetAction(commands.ReplayAsync);

        var export = new Command("export", "Records recorded in [from, to), every column, to stdout or a file.") { Format, From, To, Out };
        export.SetAction(commands.ExportAsync);

        var rebuild = new Command("rebuild", "Reset audit's projections and replay the whole trail into them.") { Projection };
        rebuild.SetAction(commands.RebuildAsync);

        var root = new RootCommand(
            "accountability-audit: the auditor's offline tool for the Accountability audit trail.\n" +
            "It reads PostgreSQL directly (no service needs to run) and never changes the trail.")
        {
            Connection, Schema, NoProgress, verify, trail, replay, export, rebuild,
        };
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithEpilogue((HelpAction)help.Action!);
        return root;
    }

    private static DateTimeOffset? ParseInstant(ArgumentResult result, string option)
    {
        var text = result.Tokens[0].Value;
        if (Instants.TryParse(text, out var instant))
            return instant;
        result.AddError($"{option} '{text}': {Instants.Expected}");
        return null;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SqlIdentifier();

    /// <summary>The generated help, then what it cannot say: instants, the remembered head, exit codes.</summary>
    private sealed class HelpWithEpilogue(HelpAction help) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            help.Invoke(parseResult);
            parseResult.InvocationConfiguration.Output.WriteLine(Epilogue);
            return ExitCodes.Ok;
        }
    }
}
