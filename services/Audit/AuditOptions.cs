namespace Accountability.Audit;

/// <summary>Settings under "Audit". Every value but the production signing key has a working default.</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>The PostgreSQL schema of the trail; also prefixes the queue and names the writer role (&lt;schema&gt;_writer).</summary>
    public string Schema { get; set; } = "audit";

    /// <summary>
    /// The service that witnesses the trail's signed heads (notification), e.g. http://127.0.0.1:5104. When set, verify
    /// also checks that the trail reaches the highest head witnessed there; null checks the database alone.
    /// </summary>
    public Uri? WitnessUrl { get; set; }

    /// <summary>Pins verify to these public keys (key id → PEM) instead of the keys stored in the database, as the CLI's --public-key does.</summary>
    public Dictionary<string, string> TrustedPublicKeys { get; set; } = new(StringComparer.Ordinal);

    /// <summary>False runs a read-only instance: verify, replay and export, but nothing is recorded.</summary>
    public bool Consume { get; set; } = true;

    /// <summary>For throwaway instances (tests): the queue is deleted when the instance stops.</summary>
    public bool TransientQueue { get; set; }

    /// <summary>A checkpoint is signed once this many records are unsigned...</summary>
    public int CheckpointEveryEvents { get; set; } = 1000;

    /// <summary>...or once the oldest unsigned record has waited this long, whichever comes first. Short, because records after the last
    /// checkpoint are protected by the chain alone until a witness has seen a signed head past them.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>ECDSA P-256 private key: PEM ("BEGIN PRIVATE KEY" or "BEGIN EC PRIVATE KEY") or base64 PKCS#8. Required outside Development and Testing.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Names the key in every checkpoint; defaults to a fingerprint of the public key.</summary>
    public string? SigningKeyId { get; set; }

    /// <summary>At most this many events are appended in one transaction (one chain lock, one head read, one COPY).</summary>
    public int AppendBatchSize { get; set; } = 200;

    /// <summary>The trail queue's prefetch: enough in flight to fill an append batch, and never fewer than other queues take.</summary>
    public int TrailPrefetch(Messaging.MessagingOptions messaging) => Math.Max(messaging.PrefetchCount, AppendBatchSize);

    /// <summary>
    /// How long a batch that is not full waits for companions before it is written (500 ms by default). The trail is off
    /// the path of custody and of the complainant's mail, so a complaint's events, and at a few complaints a second
    /// several complaints', are worth gathering into one transaction; zero writes every event as soon as the writer is free.
    /// </summary>
    public TimeSpan AppendLinger { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The public figures (GET /api/public/transparency) per client address: requests per window.</summary>
    public int PublicFiguresPermitLimit { get; set; } = 120;

    public TimeSpan PublicFiguresWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Addresses (the console) whose X-Forwarded-For names the client the public limit counts, as intake's
    /// Intake:TrustedProxies: without it every visitor of the console's public page would share the console's budget.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    public void Validate()
    {
        if (AppendBatchSize is < 1 or > 10_000)
            throw new InvalidOperationException($"Audit:AppendBatchSize must be between 1 and 10000, not {AppendBatchSize}.");
        if (AppendLinger < TimeSpan.Zero || AppendLinger > TimeSpan.FromSeconds(10))
            throw new InvalidOperationException($"Audit:AppendLinger must be from 00:00:00 to 00:00:10, not {AppendLinger}.");
        // The writer role's name must stay within PostgreSQL's 63-byte identifiers.
        if (!System.Text.RegularExpressions.Regex.IsMatch(Schema, "^[a-z_][a-z0-9_]{0,55}$"))
            throw new InvalidOperationException($"Audit:Schema '{Schema}' must be a lower-case SQL identifier of at most 56 characters.");
        if (CheckpointEveryEvents < 1)
            throw new InvalidOperationException($"Audit:CheckpointEveryEvents must be at least 1, not {CheckpointEveryEvents}.");
        if (CheckpointInterval <= TimeSpan.Zero)
            throw new InvalidOperationException("Audit:CheckpointInterval must be positive.");
    }
}
