using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Accountability.Audit.Data;
using Accountability.Audit.Features.Export;
using Accountability.Audit.Features.Projections;
using Accountability.Audit.Features.Replay;
using Accountability.Audit.Features.Verify;
using Accountability.Audit.Verification;
using Npgsql;

namespace Accountability.AuditCli;

/// <summary>The commands. Each returns an exit code from <see cref="ExitCodes"/>.</summary>
public sealed class AuditCommands(TextWriter output, TextWriter error, bool errorIsTerminal)
{
    public const string Usage =
        """
        accountability-audit: the auditor's offline tool for the Accountability audit trail.
        It reads PostgreSQL directly (no service needs to run) and never changes the trail.

        Usage:
          accountability-audit verify [--public-key <file.pem> [--key-id <id>]] [--witness-file <file> | --no-witness] [--json]
              Recompute every hash chain and checkpoint signature; name the first bad record.
              --public-key trusts only that key (e.g. from GET /api/audit/public-key), instead of
              the keys recorded in the database.
              The tool remembers the highest signed head it has seen (by default under
              ~/.local/state/accountability-audit/), and fails if the trail no longer reaches it:
              its newest records were removed. --no-witness neither reads nor writes that file.
          accountability-audit trail <case-id> [--json]
              Every step of a case: seq, type, when, actor, owner after the step, reason, trace id.
          accountability-audit replay <case-id> --as-of <instant>
              The case as it stood at that instant (JSON): status, owner, pending handoff,
              acknowledgement, allegations and findings, custody so far.
          accountability-audit export --format jsonl|csv [--from <instant>] [--to <instant>] [--out <file>]
              Records recorded in [from, to), every column, to stdout or a file.
          accountability-audit rebuild [case-state|custody|all]
              Reset audit's projections and replay the whole trail into them (default: all).

        Options for every command:
          --connection <string>   Npgsql connection string (default: $ConnectionStrings__Accountability)
          --schema <name>         the audit schema (default: audit)
          --no-progress           no progress bar on stderr (it is shown only on a terminal anyway)
          -h, --help              this text

        Instants are ISO 8601 with an offset, e.g. 2026-03-03T14:05:00Z.

        Exit codes:
          0  success (verify: the trail is intact, or empty)
          1  verify found a bad record
          2  usage or input error (unknown command or option, bad instant, unknown case or format)
          3  cannot connect to PostgreSQL, or no audit trail in that schema
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        CommandLine line;
        try
        {
            line = CommandLine.Parse(args);
            if (line.Command is null || line.Help)
            {
                await (line.Help ? output : error).WriteLineAsync(Usage);
                return line.Help ? ExitCodes.Ok : ExitCodes.UsageError;
            }
            return line.Command switch
            {
                "verify" => await VerifyAsync(line, cancellationToken),
                "trail" => await TrailAsync(line, cancellationToken),
                "replay" => await ReplayAsync(line, cancellationToken),
                "export" => await ExportAsync(line, cancellationToken),
                "rebuild" => await RebuildAsync(line, cancellationToken),
                _ => throw new UsageException($"Unknown command '{line.Command}'. Commands: verify, trail, replay, export, rebuild."),
            };
        }
        catch (UsageException exception)
        {
            await error.WriteLineAsync($"error: {exception.Message}");
            await error.WriteLineAsync("Run 'accountability-audit --help' for usage.");
            return ExitCodes.UsageError;
        }
        catch (CannotConnectException exception)
        {
            await error.WriteLineAsync($"error: {exception.Message}");
            return ExitCodes.CannotConnect;
        }
    }

    private async Task<int> VerifyAsync(CommandLine line, CancellationToken cancellationToken)
    {
        line.Allow("--public-key", "--key-id", "--witness-file");
        line.ExpectPositional(0, "");
        IReadOnlyDictionary<string, string>? trusted = null;
        if (line.Option("--public-key") is { } file)
        {
            if (!File.Exists(file))
                throw new UsageException($"Public key file '{file}' does not exist.");
            var pem = await File.ReadAllTextAsync(file, cancellationToken);
            try
            {
                CheckpointSignature.ImportPublicKey(pem);
            }
            catch (Exception exception) when (exception is ArgumentException or System.Security.Cryptography.CryptographicException)
            {
                throw new UsageException($"'{file}' is not an ECDSA P-256 public key in PEM form.");
            }
            // Without --key-id the file vouches for whatever key id a checkpoint names.
            trusted = line.Option("--key-id") is { } keyId
                ? new Dictionary<string, string> { [keyId] = pem }
                : new AnyKeyId(pem);
        }
        else if (line.Option("--key-id") is not null)
        {
            throw new UsageException("--key-id needs --public-key.");
        }

        await using var connection = await OpenAsync(line, cancellationToken);
        if (line.Has("--no-witness") && line.Option("--witness-file") is not null)
            throw new UsageException("--witness-file and --no-witness contradict each other.");
        var witnessFile = line.Has("--no-witness") ? null
            : line.Option("--witness-file") ?? RememberedHead.DefaultPath(connection.ConnectionString, Schema(line));
        var remembered = witnessFile is null ? null : await RememberedHead.ReadAsync(witnessFile, cancellationToken);
        var result = await TrailVerification.VerifyAsync(connection, trusted, Progress(line, "verify"), cancellationToken,
            remembered is null ? null : [remembered]);
        // Only an intact trail moves the remembered head forward: a cut trail must keep failing.
        if (witnessFile is not null && result.Valid
            && (await TrailStore.ReadCheckpointsAsync(connection, null, cancellationToken)).LastOrDefault() is { } newest)
            await RememberedHead.RememberAsync(witnessFile, newest, cancellationToken);
        if (line.Has("--json"))
            await output.WriteLineAsync(JsonSerializer.Serialize(result, Json));
        else
        {
            await output.WriteLineAsync($"{(result.Valid ? "VALID" : "INVALID")}: {result.Message}");
            await output.WriteLineAsync($"checked {result.CheckedRecords} records, {result.CheckedCheckpoints} checkpoints");
            if (result.FirstBadRecord is { } bad)
                await output.WriteLineAsync($"first bad record: globalSeq={bad.GlobalSeq} eventId={bad.EventId?.ToString() ?? "-"} problem={bad.Problem}");
        }
        return result.Valid ? ExitCodes.Ok : ExitCodes.VerificationFailed;
    }

    private async Task<int> TrailAsync(CommandLine line, CancellationToken cancellationToken)
    {
        line.Allow();
        line.ExpectPositional(1, "a case id");
        var caseId = ParseCase(line.Positional[0]);
        await using var connection = await OpenAsync(line, cancellationToken);
        var events = await TrailStore.ReadCaseAsync(connection, null, caseId, cancellationToken);
        if (events.Count == 0)
            throw new UsageException($"The audit trail has no record of case {caseId}.");
        var steps = CaseFold.Trail(caseId, events);
        if (line.Has("--json"))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(steps, Json));
            return ExitCodes.Ok;
        }
        await output.WriteLineAsync("seq  occurredAt                   type                   actor          owner                  traceId                           reason");
        foreach (var step in steps)
            await output.WriteLineAsync(
                $"{step.Seq,-4} {ChainHash.Instant(step.OccurredAt),-28} {step.Type,-22} {step.Actor ?? "-",-14} " +
                $"{(step.Owner is null ? "-" : $"{step.Owner.Kind}:{step.Owner.Id}"),-22} {step.TraceId ?? "-",-33} {step.Reason}");
        return ExitCodes.Ok;
    }

    private async Task<int> ReplayAsync(CommandLine line, CancellationToken cancellationToken)
    {
        line.Allow("--as-of");
        line.ExpectPositional(1, "a case id");
        var caseId = ParseCase(line.Positional[0]);
        var asOf = ParseInstant(line.Option("--as-of") ?? throw new UsageException("replay needs --as-of <instant>."), "--as-of");
        await using var connection = await OpenAsync(line, cancellationToken);
        var events = await TrailStore.ReadCaseAsync(connection, null, caseId, cancellationToken);
        if (events.Count == 0)
            throw new UsageException($"The audit trail has no record of case {caseId}.");
        await output.WriteLineAsync(JsonSerializer.Serialize(CaseFold.StateAsOf(caseId, events, asOf), Json));
        return ExitCodes.Ok;
    }

    private async Task<int> ExportAsync(CommandLine line, CancellationToken cancellationToken)
    {
        line.Allow("--format", "--from", "--to", "--out");
        line.ExpectPositional(0, "");
        var format = line.Option("--format") ?? throw new UsageException("export needs --format jsonl|csv.");
        var from = line.Option("--from") is { } f ? ParseInstant(f, "--from") : (DateTimeOffset?)null;
        var to = line.Option("--to") is { } t ? ParseInstant(t, "--to") : (DateTimeOffset?)null;
        if (TrailExport.Validate(format, from, to) is { } problems)
            throw new UsageException(string.Join(" ", problems.Select(p => $"--{p.Key}: {string.Join(" ", p.Value)}")));

        await using var connection = await OpenAsync(line, cancellationToken);
        var path = line.Option("--out");
        await using var file = path is null ? null : new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false));
        var written = await TrailExport.WriteAsync(connection, format, from, to, file ?? output, Progress(line, "export"), cancellationToken);
        await error.WriteLineAsync($"exported {written} records as {format}{(path is null ? "" : $" to {path}")}");
        return ExitCodes.Ok;
    }

    private async Task<int> RebuildAsync(CommandLine line, CancellationToken cancellationToken)
    {
        line.Allow();
        if (line.Positional.Count > 1)
            throw new UsageException("rebuild takes at most one projection name.");
        var name = line.Positional.Count == 1 ? line.Positional[0] : "all";
        IReadOnlyCollection<string> names = name == "all" ? CaseProjections.Names
            : CaseProjections.Names.Contains(name) ? [name]
            : throw new UsageException($"Unknown projection '{name}'. Known: {string.Join(", ", CaseProjections.Names)}, all.");
        await using var connection = await OpenAsync(line, cancellationToken);
        var schema = Schema(line);
        var result = await CaseProjections.RebuildAsync(connection, schema, names, Progress(line, "rebuild"), cancellationToken);
        await output.WriteLineAsync($"rebuilt {string.Join(", ", result.Projections)}: {result.RecordsReplayed} records replayed into {result.Cases} cases");
        return ExitCodes.Ok;
    }

    private static string Schema(CommandLine line)
    {
        var schema = line.Option("--schema") ?? "audit";
        return Regex.IsMatch(schema, "^[a-z_][a-z0-9_]{0,62}$") ? schema : throw new UsageException($"--schema '{schema}' is not a lower-case SQL identifier.");
    }

    private static async Task<NpgsqlConnection> OpenAsync(CommandLine line, CancellationToken cancellationToken)
    {
        var connectionString = line.Option("--connection") ?? Environment.GetEnvironmentVariable("ConnectionStrings__Accountability");
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new UsageException("No database: pass --connection or set ConnectionStrings__Accountability.");
        var schema = Schema(line);
        NpgsqlConnection connection;
        try
        {
            connection = new NpgsqlConnection(AuditDatabase.ReaderConnectionString(connectionString, schema));
        }
        catch (ArgumentException exception)
        {
            throw new UsageException($"The connection string is malformed: {exception.Message}");
        }
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (!await TrailStore.ExistsAsync(connection, cancellationToken))
                throw new CannotConnectException($"Connected, but schema '{schema}' holds no audit trail (no audit_events table).");
            return connection;
        }
        catch (Exception exception) when (exception is NpgsqlException or SocketException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw new CannotConnectException($"Cannot connect to PostgreSQL: {exception.Message}");
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private IProgress<(long Done, long Total)> Progress(CommandLine line, string label) =>
        new ProgressBar(error, label, errorIsTerminal && !line.Has("--no-progress"));

    private static Guid ParseCase(string text) =>
        Guid.TryParse(text, out var caseId) ? caseId : throw new UsageException($"'{text}' is not a case id (a GUID).");

    private static DateTimeOffset ParseInstant(string text, string option) =>
        Instants.TryParse(text, out var instant) ? instant : throw new UsageException($"{option} '{text}': {Instants.Expected}");

    /// <summary>A single trusted public key, whatever key id a checkpoint names.</summary>
    private sealed class AnyKeyId(string pem) : Dictionary<string, string>, IReadOnlyDictionary<string, string>
    {
        bool IReadOnlyDictionary<string, string>.TryGetValue(string key, out string value)
        {
            value = pem;
            return true;
        }
    }
}

public sealed class CannotConnectException(string message) : Exception(message);
