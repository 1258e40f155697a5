using System.Text.Json;
using Accountability.Audit.Verification;
using Npgsql;

namespace Accountability.AuditCli;

/// <summary>
/// The CLI is a witness too: it remembers the highest signed head it has seen for each trail, in a file of the
/// auditor's own, and the next verify fails if the trail no longer reaches it. Cutting the trail's newest records
/// and their checkpoints out of the database then no longer goes unnoticed by the next verify.
/// </summary>
public static class RememberedHead
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>One file per database and schema, under $XDG_STATE_HOME (or ~/.local/state)/accountability-audit/.</summary>
    public static string DefaultPath(string connectionString, string schema)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var root = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } state
            ? state
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        var name = string.Concat($"{builder.Host}_{builder.Port}_{builder.Database}_{schema}".Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
        return Path.Combine(root, "accountability-audit", $"{name}.head.json");
    }

    /// <summary>The remembered head, or null when there is none yet.</summary>
    /// <exception cref="UsageException">The file exists but is not a head this tool wrote.</exception>
    public static async Task<Checkpoint?> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            var head = JsonSerializer.Deserialize<Head>(await File.ReadAllTextAsync(path, cancellationToken), Json)
                       ?? throw new JsonException("empty");
            return new Checkpoint(head.GlobalSeq, Convert.FromHexString(head.Hash), head.KeyId, head.SignedAt, Convert.FromBase64String(head.Signature));
        }
        catch (Exception exception) when (exception is JsonException or FormatException or ArgumentException)
        {
            throw new UsageException($"The remembered head in '{path}' cannot be read ({exception.Message}); move it aside to start afresh.");
        }
    }

    /// <summary>Remembers the higher of what is remembered and <paramref name="head"/>.</summary>
    public static async Task RememberAsync(string path, Checkpoint head, CancellationToken cancellationToken)
    {
        if (await ReadAsync(path, cancellationToken) is { } known && known.GlobalSeq >= head.GlobalSeq)
            return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = JsonSerializer.Serialize(new Head(head.GlobalSeq, ChainHash.Hex(head.Hash), head.KeyId, head.SignedAt, Convert.ToBase64String(head.Signature)), Json);
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, text, cancellationToken);
        File.Move(temporary, path, overwrite: true); // never a half-written head
    }

    private sealed record Head(long GlobalSeq, string Hash, string KeyId, DateTimeOffset SignedAt, string Signature);
}
