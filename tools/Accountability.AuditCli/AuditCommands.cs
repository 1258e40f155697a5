using System.CommandLine;
using System.Net.Sockets;
using System.Text.Json;
using Accountability.Audit.Data;
using Accountability.Audit.Features.Export;
using Accountability.Audit.Features.Projections;
using Accountability.Audit.Features.Replay;
using Accountability.Audit.Features.Verify;
using Accountability.Audit.Verification;
using Npgsql;
using Spectre.Console;
using static Accountability.AuditCli.AuditCommandLine;

namespace Accountability.AuditCli;

/// <summary>The commands' bodies. Each returns an exit code from <see cref="ExitCodes"/>.</summary>
public sealed class AuditCommands(TextWriter output, TextWriter error, bool outputIsTerminal, bool errorIsTerminal)
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var parsed = Build(this).Parse(args);
        try
        {
            if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
                return await UsageErrorAsync(parsed.Errors.Select(e => e.Message));
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = output,
                Error = error,
                // Our exceptions carry exit codes; anything else is a bug and should show its stack.
                EnableDefaultExceptionHandler = false,
            }, cancellationToken);
        }
        catch (UsageException exception)
        {
            return await UsageErrorAsync([exception.Message]);
        }
        catch (CannotConnectException exception)
        {
            await error.WriteLineAsync($"error: {exception.Message}");
            return ExitCodes.CannotConnect;
        }
    }

    private async Task<int> UsageErrorAsync(IEnumerable<string> messages)
    {
        foreach (var message in messages)
            await error.WriteLineAsync($"error: {message}");
        await error.WriteLineAsync("Run 'accountability-audit --help' for usage.");
        return ExitCodes.UsageError;
    }

    public async Task<int> VerifyAsync(ParseResult line, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, string>? trusted = null;
        if (line.GetValue(PublicKey) is { } file)
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
            trusted = line.GetValue(KeyId) is { } keyId
                ? new Dictionary<string, string> { [keyId] = pem }
                : new AnyKeyId(pem);
        }

        await using var connection = await OpenAsync(line, cancellationToken);
        var witnessFile = line.GetValue(NoWitness) ? null
            : line.GetValue(WitnessFile) ?? RememberedHead.DefaultPath(connection.ConnectionString, line.GetValue(Schema)!);
        var remembered = witnessFile is null ? null : await RememberedHead.ReadAsync(witnessFile, cancellationToken);
        var result = await WithProgressAsync(line, "verify", progress =>
            TrailVerification.VerifyAsync(connection, trusted, progress, cancellationToken, remembered is null ? null : [remembered]));
        // Only an intact trail moves the remembered head forward: a cut trail must keep failing.
        if (witnessFile is not null && result.Valid
            && (await TrailStore.ReadCheckpointsAsync(connection, null, cancellationToken)).LastOrDefault() is { } newest)
            await RememberedHead.RememberAsync(witnessFile, newest, cancellationToken);
        if (line.GetValue(Json))
            await output.WriteLineAsync(JsonSerializer.Serialize(result, JsonOptions));
        else
        {
            await output.WriteLineAsync($"{(result.Valid ? "VALID" : "INVALID")}: {result.Message}");
            await output.WriteLineAsync($"checked {result.CheckedRecords} records, {result.CheckedCheckpoints} checkpoints");
            if (result.FirstBadRecord is { } bad)
                await output.WriteLineAsync($"first bad record: globalSeq={bad.GlobalSeq} eventId={bad.EventId?.ToString() ?? "-"} problem={bad.Problem}");
        }
        return result.Valid ? ExitCodes.Ok : ExitCodes.VerificationFailed;
    }

    public async Task<int> TrailAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var caseId = line.GetValue(CaseId);
        await using var connection = await OpenAsync(line, cancellationToken);
        var events = await TrailStore.ReadCaseAsync(connection, null, caseId, cancellationToken);
        if (events.Count == 0)
            throw new UsageException($"The audit trail has no record of case {caseId}.");
        var steps = CaseFold.Trail(caseId, events);
        if (line.GetValue(Json))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(steps, JsonOptions));
            return ExitCodes.Ok;
        }
        var table = new Table().Border(TableBorder.Simple)
            .AddColumns("seq", "occurredAt", "type", "actor", "owner", "traceId", "reason");
        foreach (var step in steps)
            table.AddRow(new[]
            {
                step.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), ChainHash.Instant(step.OccurredAt), step.Type,
                step.Actor ?? "-", step.Owner is null ? "-" : $"{step.Owner.Kind}:{step.Owner.Id}", step.TraceId ?? "-", step.Reason ?? "",
            }.Select(text => new Text(text)));
        Console(output, outputIsTerminal).Write(table);
        return ExitCodes.Ok;
    }

    public async Task<int> ReplayAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var caseId = line.GetValue(CaseId);
        var asOf = line.GetValue(AsOf);
        await using var connection = await OpenAsync(line, cancellationToken);
        var events = await TrailStore.ReadCaseAsync(connection, null, caseId, cancellationToken);
        if (events.Count == 0)
            throw new UsageException($"The audit trail has no record of case {caseId}.");
        await output.WriteLineAsync(JsonSerializer.Serialize(CaseFold.StateAsOf(caseId, events, asOf), JsonOptions));
        return ExitCodes.Ok;
    }

    public async Task<int> ExportAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var format = line.GetValue(Format)!;
        var from = line.GetValue(From);
        var to = line.GetValue(To);
        if (TrailExport.Validate(format, from, to) is { } problems)
            throw new UsageException(string.Join(" ", problems.Select(p => $"--{p.Key}: {string.Join(" ", p.Value)}")));

        await using var connection = await OpenAsync(line, cancellationToken);
        var path = line.GetValue(Out);
        await using var file = path is null ? null : new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false));
        var written = await WithProgressAsync(line, "export", progress =>
            TrailExport.WriteAsync(connection, format, from, to, file ?? output, progress, cancellationToken));
        await error.WriteLineAsync($"exported {written} records as {format}{(path is null ? "" : $" to {path}")}");
        return ExitCodes.Ok;
    }

    public async Task<int> RebuildAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var name = line.GetValue(Projection)!;
        IReadOnlyCollection<string> names = name == "all" ? CaseProjections.Names : [name];
        await using var connection = await OpenAsync(line, cancellationToken);
        var result = await WithProgressAsync(line, "rebuild", progress =>
            CaseProjections.RebuildAsync(connection, token => OpenAsync(line, token), line.GetValue(Schema)!, names, $"cli:{Environment.UserName}", progress, cancellationToken));
        await output.WriteLineAsync($"rebuilt {string.Join(", ", result.Projections)}: {result.RecordsReplayed} records replayed into {result.Cases} cases");
        return ExitCodes.Ok;
    }

    private static async Task<NpgsqlConnection> OpenAsync(ParseResult line, CancellationToken cancellationToken)
    {
        var connectionString = line.GetValue(Connection) ?? Environment.GetEnvironmentVariable("ConnectionStrings__Accountability");
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new UsageException("No database: pass --connection or set ConnectionStrings__Accountability.");
        var schema = line.GetValue(Schema)!;
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

    /// <summary>Runs <paramref name="work"/> under a Spectre.Console progress bar on stderr, shown only on a terminal.</summary>
    private Task<T> WithProgressAsync<T>(ParseResult line, string label, Func<IProgress<(long Done, long Total)>, Task<T>> work) =>
        errorIsTerminal && !line.GetValue(NoProgress)
            ? ProgressDisplay.RunAsync(Console(error, terminal: true), label, work)
            : work(ProgressDisplay.Silent);

    /// <summary>A Spectre console on one of our writers; off a terminal, plain text wide enough not to wrap a trail.</summary>
    private static IAnsiConsole Console(TextWriter writer, bool terminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
            console.Profile.Width = 240;
        return console;
    }

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
