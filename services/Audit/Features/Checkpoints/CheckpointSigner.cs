using Accountability.Audit.Data;
using Accountability.Audit.Verification;
using Accountability.Messaging.Migrations;
using Dapper;
using Microsoft.Extensions.Options;

namespace Accountability.Audit.Features.Checkpoints;

/// <summary>
/// Signs the head of the global chain every Audit:CheckpointEveryEvents records or once the
/// oldest unsigned record is Audit:CheckpointInterval old, whichever comes first. It sleeps until the oldest
/// unsigned record comes due, or <see cref="IdleLook"/> when everything is signed (a look that covers records
/// appended by another instance, whose own signer also runs). An append wakes it only when it may have made a
/// checkpoint due (<see cref="CheckpointDue"/>): a look per append cost five statements and a lock each. Several
/// instances may run it: the checkpoint lock and the primary key on global_seq keep one signature per head.
/// </summary>
public sealed class CheckpointSigner(
    AuditDatabase database,
    SigningKeyRing keys,
    MigrationGate migrations,
    TimeProvider clock,
    IOptions<AuditOptions> options,
    ILogger<CheckpointSigner> logger) : BackgroundService
{
    /// <summary>The longest sleep with nothing unsigned: an idle trail costs one look per half minute, not one per second.</summary>
    public static readonly TimeSpan IdleLook = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim appended = new(0, 1);
    private readonly CheckpointDue due = new(options.Value.CheckpointEveryEvents);
    private TimeSpan nextLook = IdleLook;

    /// <summary>This instance appended a record; wakes the signer when that may have made a checkpoint due.</summary>
    public void RecordAppended(int records = 1)
    {
        if (due.Appended(records))
            Wake();
    }

    private void Wake()
    {
        if (appended.CurrentCount == 0)
        {
            try { appended.Release(); }
            catch (SemaphoreFullException) { } // already signalled: one wake-up is enough
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SignIfDueAsync(stoppingToken);
                delay = TimeSpan.FromMilliseconds(250);
                await appended.WaitAsync(nextLook, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Signing a checkpoint failed; retrying in {Delay}", delay);
                await Task.Delay(delay, clock, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    /// <summary>Returns the global_seq it signed, or null when nothing was due.</summary>
    public async Task<long?> SignIfDueAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var key = await keys.GetActiveAsync(cancellationToken);
        // Appends from here on count towards the next look; those already in the head below are counted twice, which only looks sooner.
        due.Looking();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ChainLock.AcquireCheckpointAsync(transaction, database.Schema, cancellationToken);

        var head = await connection.QuerySingleOrDefaultAsync<Head>(new CommandDefinition(
            "select global_seq as Seq, hash as Hash from audit_events order by global_seq desc limit 1",
            transaction: transaction, cancellationToken: cancellationToken));
        var signedSeq = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "select max(global_seq) from audit_checkpoints", transaction: transaction, cancellationToken: cancellationToken)) ?? 0;
        nextLook = IdleLook;
        if (head is null || head.Seq <= signedSeq)
        {
            if (due.AllSigned())
                Wake();
            return null;
        }

        var oldestUnsigned = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition(
            "select recorded_at from audit_events where global_seq = @seq", new { seq = signedSeq + 1 }, transaction, cancellationToken: cancellationToken));
        var now = ChainHash.ToMicroseconds(clock.GetUtcNow());
        var age = now - new DateTimeOffset(DateTime.SpecifyKind(oldestUnsigned, DateTimeKind.Utc));
        var isDue = head.Seq - signedSeq >= settings.CheckpointEveryEvents || age >= settings.CheckpointInterval;
        if (!isDue)
        {
            nextLook = settings.CheckpointInterval - age;
            if (due.Unsigned(head.Seq - signedSeq))
                Wake();
            return null;
        }

        var signature = CheckpointSignature.Sign(key.Key, head.Seq, head.Hash, key.KeyId, now);
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into audit_checkpoints (global_seq, hash, key_id, signed_at, signature) values (@seq, @hash, @keyId, @now, @signature)",
            new { seq = head.Seq, hash = head.Hash, keyId = key.KeyId, now, signature }, transaction, cancellationToken: cancellationToken));
        // Announced with the checkpoint: witnesses outside this database keep the highest head they saw.
        await Messaging.Outbox.OutboxWriter.EnqueueAsync(transaction, new Contracts.Witness.TrailCheckpointSigned
        {
            Trail = database.Schema,
            GlobalSeq = head.Seq,
            Hash = ChainHash.Hex(head.Hash),
            KeyId = key.KeyId,
            SignedAt = now,
            Signature = Convert.ToBase64String(signature),
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (due.AllSigned())
            Wake();
        logger.LogInformation("Signed checkpoint at record {GlobalSeq} with key {KeyId}", head.Seq, key.KeyId);
        return head.Seq;
    }

    private sealed record Head(long Seq, byte[] Hash);
}
