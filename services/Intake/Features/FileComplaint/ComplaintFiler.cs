using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Accountability.Contracts.Intake;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Accountability.ServiceDefaults.Privacy;
using Accountability.ServiceDefaults.Telemetry;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Accountability.Intake.Features.FileComplaint;

/// <summary>The outcome of filing: a receipt (new or replayed), or a key reused for a different complaint.</summary>
public sealed record FilingOutcome(FilingReceipt? Receipt, bool Replayed, bool KeyReusedWithDifferentBody);

/// <summary>
/// Stores a valid complaint: the case row (owned by the intake desk), its first milestone, the
/// idempotency row and the ComplaintReceived outbox row, all in one transaction.
/// </summary>
public sealed class ComplaintFiler(
    ServiceDatabase database,
    ContactProtector protector,
    IOptions<IntakeOptions> options,
    TimeProvider clock)
{
    public static readonly ActivitySource Source = new("Accountability.Intake");
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<FilingOutcome> FileAsync(ValidComplaint complaint, FilingCaller caller, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var requestHash = SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(complaint, Json));
        // Two attempts: the second only runs when a concurrent request with the same key committed first.
        for (var attempt = 0; ; attempt++)
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            if (idempotencyKey is not null && await FindPriorAsync(connection, caller.IdempotencyScope, idempotencyKey, requestHash, cancellationToken) is { } prior)
                return prior;

            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var (receipt, announcement, receivedAt) = await InsertAsync(transaction, complaint, caller, cancellationToken);
            if (idempotencyKey is not null)
            {
                var claimed = await connection.ExecuteAsync(new CommandDefinition(
                    ClaimKeySql + " on conflict (scope, key) do nothing", KeyRow(caller.IdempotencyScope, idempotencyKey, requestHash, receipt),
                    transaction, cancellationToken: cancellationToken));
                if (claimed == 0)
                {
                    await transaction.RollbackAsync(cancellationToken);
                    if (attempt == 0)
                        continue;
                    throw new InvalidOperationException("An idempotency key was claimed concurrently but cannot be read back.");
                }
            }
            var caseNumber = await CaseNumbers.StampAsync(transaction, options.Value.CaseNumberPrefix, receivedAt, receipt.CaseId, announcement,
                idempotencyKey is null ? null : (caller.IdempotencyScope, idempotencyKey), cancellationToken);
            Activity.Current?.SetTag("accountability.case_number", caseNumber);
            receipt = receipt with { CaseNumber = caseNumber };
            await transaction.CommitAsync(cancellationToken);
            return new FilingOutcome(receipt, Replayed: false, KeyReusedWithDifferentBody: false);
        }
    }

    /// <summary>
    /// Files a batch (see <see cref="FilingBatcher"/>). Outcomes are in the batch's order. First as filings that are all new,
    /// in one round trip (<see cref="TryFileAllNewAsync"/>); when a key was used before, in one transaction that reads the
    /// keys already used, writes the rows of each new filing, bumps the counter once per year for all of them and commits.
    /// A second filing of a key within the batch is answered as a replay of the first (or as a key reused for a different
    /// complaint). Throws when anything fails, including a key claimed meanwhile by another instance; nothing of the batch
    /// is then written, and the batcher files each one alone.
    /// </summary>
    public async Task<IReadOnlyList<FilingOutcome>> FileTogetherAsync(IReadOnlyList<PendingFiling> batch, CancellationToken cancellationToken)
    {
        // The batch's own statements (the key read, the counter, the commit) are in a span linked to every filing's request;
        // a batch of one is simply part of its request's trace.
        using var batchActivity = Source.StartActivity("file complaints together", ActivityKind.Internal,
            batch.Count == 1 ? batch[0].Parent : default, links: batch.Where(f => f.Parent != default).Select(f => new ActivityLink(f.Parent)));
        batchActivity?.SetTag("accountability.batch_size", batch.Count);
        var hashes = batch.Select(f => SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(f.Complaint, Json))).ToArray();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        if (await TryFileAllNewAsync(connection, batch, hashes, cancellationToken) is { } allNew)
            return allNew;

        var outcomes = new FilingOutcome?[batch.Count];

        var keyed = Enumerable.Range(0, batch.Count).Where(i => batch[i].IdempotencyKey is not null).ToList();
        var priors = new Dictionary<(string Scope, string Key), (byte[] RequestHash, string Response)>();
        if (keyed.Count > 0)
            foreach (var row in await connection.QueryAsync<(string Scope, string Key, byte[] RequestHash, string Response)>(new CommandDefinition(
                         """
                         select k.scope, k.key, k.request_hash, k.response::text
                         from idempotency_keys k join unnest(@scopes, @keys) as asked(scope, key) on k.scope = asked.scope and k.key = asked.key
                         """,
                         new { scopes = keyed.Select(i => batch[i].Caller.IdempotencyScope).ToArray(), keys = keyed.Select(i => batch[i].IdempotencyKey!).ToArray() },
                         cancellationToken: cancellationToken)))
                priors[(row.Scope, row.Key)] = (row.RequestHash, row.Response);

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var firstOfKey = new Dictionary<(string Scope, string Key), int>();
        var filed = new List<(int Index, FilingReceipt Receipt, Guid Announcement, DateTimeOffset ReceivedAt)>();
        for (var i = 0; i < batch.Count; i++)
        {
            var filing = batch[i];
            if (filing.IdempotencyKey is { } key)
            {
                var id = (filing.Caller.IdempotencyScope, key);
                if (priors.TryGetValue(id, out var prior))
                {
                    outcomes[i] = CryptographicOperations.FixedTimeEquals(prior.RequestHash, hashes[i])
                        ? new FilingOutcome(JsonSerializer.Deserialize<FilingReceipt>(prior.Response, Json), Replayed: true, KeyReusedWithDifferentBody: false)
                        : new FilingOutcome(null, Replayed: false, KeyReusedWithDifferentBody: true);
                    continue;
                }
                if (!firstOfKey.TryAdd(id, i))
                    continue; // answered below, from the first filing of this key
            }

            {
                // Its span continues its own request's trace (the outbox row carries that on to the consumers).
                var (receipt, announcement, receivedAt) = await InsertAsync(transaction, filing.Complaint, filing.Caller, cancellationToken, filing.Parent, batch.Count);
                if (filing.IdempotencyKey is { } ownKey)
                {
                    var claimed = await connection.ExecuteAsync(new CommandDefinition(
                        ClaimKeySql + " on conflict (scope, key) do nothing", KeyRow(filing.Caller.IdempotencyScope, ownKey, hashes[i], receipt),
                        transaction, cancellationToken: cancellationToken));
                    if (claimed == 0)
                        throw new InvalidOperationException("An idempotency key of the batch was claimed meanwhile; the batch is filed one by one.");
                }
                filed.Add((i, receipt, announcement, receivedAt));
            }
        }

        // Last, as for a single filing: the counter row is held only from here to the commit.
        var numbers = new Dictionary<int, string>();
        foreach (var year in filed.GroupBy(f => f.ReceivedAt.UtcDateTime.Year))
        {
            var ofYear = year.ToList();
            foreach (var (caseId, number) in await CaseNumbers.StampAllAsync(transaction, options.Value.CaseNumberPrefix, year.Key,
                         ofYear.Select(f => (f.Receipt.CaseId, f.Announcement, batch[f.Index].IdempotencyKey is { } k ? (batch[f.Index].Caller.IdempotencyScope, k) : ((string, string)?)null)).ToList(),
                         cancellationToken))
                numbers[ofYear.FindIndex(f => f.Receipt.CaseId == caseId) is var at and >= 0 ? ofYear[at].Index : throw new InvalidOperationException("A number for a case not in the batch.")] = number;
        }
        await transaction.CommitAsync(cancellationToken);

        foreach (var (index, receipt, _, _) in filed)
            outcomes[index] = new FilingOutcome(receipt with { CaseNumber = numbers[index] }, Replayed: false, KeyReusedWithDifferentBody: false);
        for (var i = 0; i < batch.Count; i++)
            if (outcomes[i] is null && firstOfKey.TryGetValue((batch[i].Caller.IdempotencyScope, batch[i].IdempotencyKey!), out var first))
                outcomes[i] = hashes[i].AsSpan().SequenceEqual(hashes[first])
                    ? outcomes[first]! with { Replayed = true }
                    : new FilingOutcome(null, Replayed: false, KeyReusedWithDifferentBody: true);
        return [.. outcomes.Select(o => o ?? throw new InvalidOperationException("A filing of the batch has no outcome."))];
    }

    private static async Task<FilingOutcome?> FindPriorAsync(
        NpgsqlConnection connection, string scope, string key, byte[] requestHash, CancellationToken cancellationToken)
    {
        var prior = await connection.QuerySingleOrDefaultAsync<(byte[] RequestHash, string Response)?>(new CommandDefinition(
            "select request_hash, response::text from idempotency_keys where scope = @scope and key = @key",
            new { scope, key }, cancellationToken: cancellationToken));
        if (prior is not { } found)
            return null;
        if (!CryptographicOperations.FixedTimeEquals(found.RequestHash, requestHash))
            return new FilingOutcome(null, Replayed: false, KeyReusedWithDifferentBody: true);
        return new FilingOutcome(JsonSerializer.Deserialize<FilingReceipt>(found.Response, Json), Replayed: true, KeyReusedWithDifferentBody: false);
    }

    /// <summary>
    /// Files a batch whose filings are all new in one round trip: each filing's complaint, milestone and key, their
    /// ComplaintReceived outbox rows and their case numbers, sent as one <see cref="NpgsqlBatch"/> outside any transaction,
    /// which PostgreSQL runs as one implicit transaction. Returns null, with nothing written, when a key of the batch was
    /// used before (or twice in it): its key row then fails the batch with a unique violation, and
    /// <see cref="FileTogetherAsync"/> goes on to answer it as a replay.
    /// </summary>
    private async Task<IReadOnlyList<FilingOutcome>?> TryFileAllNewAsync(
        NpgsqlConnection connection, IReadOnlyList<PendingFiling> batch, byte[][] hashes, CancellationToken cancellationToken)
    {
        var keys = batch.Where(f => f.IdempotencyKey is not null).Select(f => (f.Caller.IdempotencyScope, f.IdempotencyKey!)).ToList();
        if (keys.Count != keys.Distinct().Count())
            return null;

        var outer = Activity.Current;
        var filings = new List<(FilingRows Rows, Activity? Span)>(batch.Count);
        try
        {
            await using var write = new NpgsqlBatch(connection);
            for (var i = 0; i < batch.Count; i++)
            {
                var filing = batch[i];
                // Its span continues its own request's trace (the outbox row carries that on to the consumers).
                var span = Source.StartActivity("file complaint", ActivityKind.Internal, filing.Parent);
                var rows = Prepare(filing.Complaint, filing.Caller, span, batch.Count);
                Activity.Current = outer;
                filings.Add((rows, span));
                write.BatchCommands.Add(BatchStatements.Of(InsertComplaintSql, rows.Complaint));
                write.BatchCommands.Add(BatchStatements.Of(InsertMilestoneSql, new { rows.Receipt.CaseId, rows.ReceivedAt }));
                if (filing.IdempotencyKey is { } key)
                    write.BatchCommands.Add(BatchStatements.Of(ClaimKeySql, KeyRow(filing.Caller.IdempotencyScope, key, hashes[i], rows.Receipt)));
            }
            write.BatchCommands.Add(OutboxWriter.InsertAllStatement([.. filings.Select(f => f.Rows.Announcement)]));
            var numbered = Enumerable.Range(0, batch.Count).GroupBy(i => filings[i].Rows.ReceivedAt.UtcDateTime.Year).ToList();
            foreach (var year in numbered)
                write.BatchCommands.Add(CaseNumbers.StampAllStatement(options.Value.CaseNumberPrefix, year.Key, [.. year.Select(i => (
                    filings[i].Rows.Receipt.CaseId, filings[i].Rows.Announcement.MessageId,
                    batch[i].IdempotencyKey is { } k ? (batch[i].Caller.IdempotencyScope, k) : ((string, string)?)null))]));

            var numbers = new Dictionary<Guid, string>();
            await using (var reader = await write.ExecuteReaderAsync(cancellationToken))
            {
                // Only the numbering statements return rows; the others are skipped over.
                do
                {
                    while (await reader.ReadAsync(cancellationToken))
                        numbers[reader.GetGuid(0)] = reader.GetString(1);
                } while (await reader.NextResultAsync(cancellationToken));
            }
            return [.. filings.Select(f => new FilingOutcome(
                f.Rows.Receipt with { CaseNumber = numbers.TryGetValue(f.Rows.Receipt.CaseId, out var number) ? number
                    : throw new InvalidOperationException($"Case {f.Rows.Receipt.CaseId} of the batch was written without a number.") },
                Replayed: false, KeyReusedWithDifferentBody: false))];
        }
        catch (PostgresException conflict) when (conflict.SqlState == PostgresErrorCodes.UniqueViolation && conflict.TableName == "idempotency_keys")
        {
            return null;
        }
        finally
        {
            foreach (var (_, span) in filings)
                span?.Dispose();
            Activity.Current = outer;
        }
    }

    /// <summary>Writes the filing's rows without its case number (<see cref="CaseNumbers.StampAsync"/> adds it last).</summary>
    private async Task<(FilingReceipt Receipt, Guid Announcement, DateTimeOffset ReceivedAt)> InsertAsync(NpgsqlTransaction transaction, ValidComplaint complaint,
        FilingCaller caller, CancellationToken cancellationToken, ActivityContext parent = default, int batchSize = 1)
    {
        // default(ActivityContext) means the current activity; a batched filing passes its request's.
        using var activity = Source.StartActivity("file complaint", ActivityKind.Internal, parent);
        var rows = Prepare(complaint, caller, activity, batchSize);
        var connection = transaction.Connection!;
        await connection.ExecuteAsync(new CommandDefinition(InsertComplaintSql, rows.Complaint, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(InsertMilestoneSql, new { rows.Receipt.CaseId, rows.ReceivedAt }, transaction, cancellationToken: cancellationToken));
        await OutboxWriter.InsertAsync(transaction, rows.Announcement, cancellationToken);
        return (rows.Receipt, rows.Announcement.MessageId, rows.ReceivedAt);
    }

    /// <summary>A filing's rows, made before anything is written: the complaint's columns, its ComplaintReceived outbox row and its receipt.</summary>
    private sealed record FilingRows(FilingReceipt Receipt, OutboxRow Announcement, DateTimeOffset ReceivedAt, object Complaint);

    /// <summary>The filing's rows, its case number still to come. Call it with the filing's span current: the outbox row carries that trace.</summary>
    private FilingRows Prepare(ValidComplaint complaint, FilingCaller caller, Activity? span, int batchSize)
    {
        var settings = options.Value;
        var caseId = Guid.CreateVersion7();
        var receivedAt = clock.GetUtcNow();
        var trackingCode = TrackingCodes.NewCode(settings.TrackingCodePrefix);
        var symbols = TrackingCodes.Normalize(trackingCode, settings.TrackingCodePrefix)!;
        var allegations = complaint.Allegations
            .Select(a => new ReceivedAllegation { AllegationId = Guid.NewGuid(), Type = a.Type, OfficerBadge = a.OfficerBadge, OfficerDescription = a.OfficerDescription })
            .ToList();
        SealedContact? sealedContact = null;
        (string KeyId, byte[] Index)? nameIndex = null;
        if (complaint.Complainant is { } contact)
        {
            var sealedValue = protector.Seal(contact);
            sealedContact = new SealedContact { KeyId = sealedValue.KeyId, Ciphertext = sealedValue.Ciphertext };
            nameIndex = protector.NameIndex(contact.Name);
        }

        span.TagCase(caseId, "received", "unit", settings.DutyDeskUnitId);
        span?.SetTag("accountability.batch_size", batchSize);
        span?.SetTag("accountability.channel", complaint.Channel);

        var announcement = OutboxWriter.RowFor(new ComplaintReceived
        {
            CaseId = caseId,
            CaseVersion = 1,
            TrackingCode = trackingCode,
            CaseNumber = null, // stamped by CaseNumbers, last
            Category = complaint.Category,
            Channel = complaint.Channel,
            District = complaint.District,
            OccurredAt = complaint.OccurredAt,
            Location = complaint.Location,
            SubjectOfficerBadges = complaint.SubjectOfficerBadges,
            Allegations = allegations,
            Anonymous = complaint.Anonymous,
            Complainant = sealedContact,
            IntakeDeskUnitId = settings.DutyDeskUnitId,
            ReceivedAt = receivedAt,
            Actor = caller.Actor,
            Reason = "",
        }, typeof(ComplaintReceived));

        var columns = new
        {
            caseId, trackingCode, trackingHash = TrackingCodes.LookupHash(symbols),
            complaint.Category, complaint.Channel, complaint.District, complaint.OccurredAt,
            location = complaint.Location is null ? null : JsonSerializer.Serialize(complaint.Location, Json),
            complaint.Narrative, badges = complaint.SubjectOfficerBadges.ToArray(),
            allegations = JsonSerializer.Serialize(allegations, Json), anonymous = complaint.Anonymous,
            complainant = sealedContact is null ? null : JsonSerializer.Serialize(sealedContact, Json),
            nameIndex = nameIndex?.Index, nameIndexKeyId = nameIndex?.KeyId,
            deskId = settings.DutyDeskUnitId, receivedAt, actor = caller.Actor,
        };
        return new FilingRows(new FilingReceipt
        {
            CaseId = caseId,
            TrackingCode = trackingCode,
            Owner = new ReceiptOwner("unit", settings.DutyDeskUnitId, settings.DutyDeskName),
            Status = "received",
            StatusUrl = $"/api/public/status/{trackingCode}",
        }, announcement, receivedAt, columns);
    }

    private static object KeyRow(string scope, string key, byte[] requestHash, FilingReceipt receipt) =>
        new { scope, key, requestHash, caseId = receipt.CaseId, response = JsonSerializer.Serialize(receipt, Json) };

    private const string InsertComplaintSql =
        """
        insert into complaints (case_id, case_number, tracking_code, tracking_hash, category, channel, district, occurred_at, location,
                                narrative, subject_officer_badges, allegations, anonymous, complainant_sealed,
                                complainant_name_index, name_index_key_id,
                                owner_kind, owner_id, status, received_at, updated_at, filed_by)
        values (@caseId, null, @trackingCode, @trackingHash, @Category, @Channel, @District, @OccurredAt, @location::jsonb,
                @Narrative, @badges, @allegations::jsonb, @anonymous, @complainant::jsonb,
                @nameIndex, @nameIndexKeyId,
                'unit', @deskId, 'received', @receivedAt, @receivedAt, @actor)
        """;

    private const string InsertMilestoneSql = "insert into milestones (case_id, case_version, milestone, at) values (@CaseId, 0, 'received', @ReceivedAt)";

    /// <summary>Without ON CONFLICT, a key used before fails the statement (and a batch sent with it); the slow paths add one.</summary>
    private const string ClaimKeySql =
        """
        insert into idempotency_keys (scope, key, request_hash, case_id, response)
        values (@scope, @key, @requestHash, @caseId, @response::jsonb)
        """;
}
