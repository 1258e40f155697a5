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
                    """
                    insert into idempotency_keys (scope, key, request_hash, case_id, response)
                    values (@scope, @key, @requestHash, @caseId, @response::jsonb)
                    on conflict (scope, key) do nothing
                    """,
                    new
                    {
                        scope = caller.IdempotencyScope, key = idempotencyKey, requestHash, caseId = receipt.CaseId,
                        response = JsonSerializer.Serialize(receipt, Json),
                    }, transaction, cancellationToken: cancellationToken));
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
    /// Files a batch in one transaction (see <see cref="FilingBatcher"/>): one read of the idempotency keys already used,
    /// the rows of each new filing, one counter bump per year for all of them, and one commit. Outcomes are in the
    /// batch's order. A second filing of a key within the batch is answered as a replay of the first (or as a key reused
    /// for a different complaint). Throws when anything fails, including a key claimed meanwhile by another instance;
    /// nothing of the batch is then written, and the batcher files each one alone.
    /// </summary>
    public async Task<IReadOnlyList<FilingOutcome>> FileTogetherAsync(IReadOnlyList<PendingFiling> batch, CancellationToken cancellationToken)
    {
        // The batch's own statements (the key read, the counter, the commit) are in a span linked to every filing's request;
        // a batch of one is simply part of its request's trace.
        using var batchActivity = Source.StartActivity("file complaints together", ActivityKind.Internal,
            batch.Count == 1 ? batch[0].Parent : default, links: batch.Where(f => f.Parent != default).Select(f => new ActivityLink(f.Parent)));
        batchActivity?.SetTag("accountability.batch_size", batch.Count);
        var hashes = batch.Select(f => SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(f.Complaint, Json))).ToArray();
        var outcomes = new FilingOutcome?[batch.Count];
        await using var connection = await database.OpenConnectionAsync(cancellationToken);

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
                        """
                        insert into idempotency_keys (scope, key, request_hash, case_id, response)
                        values (@scope, @key, @requestHash, @caseId, @response::jsonb)
                        on conflict (scope, key) do nothing
                        """,
                        new { scope = filing.Caller.IdempotencyScope, key = ownKey, requestHash = hashes[i], caseId = receipt.CaseId, response = JsonSerializer.Serialize(receipt, Json) },
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

    /// <summary>Writes the filing's rows without its case number (<see cref="CaseNumbers.StampAsync"/> adds it last).</summary>
    private async Task<(FilingReceipt Receipt, Guid Announcement, DateTimeOffset ReceivedAt)> InsertAsync(NpgsqlTransaction transaction, ValidComplaint complaint,
        FilingCaller caller, CancellationToken cancellationToken, ActivityContext parent = default, int batchSize = 1)
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

        // default(ActivityContext) means the current activity; a batched filing passes its request's.
        using var activity = Source.StartActivity("file complaint", ActivityKind.Internal, parent);
        activity.TagCase(caseId, "received", "unit", settings.DutyDeskUnitId);
        activity?.SetTag("accountability.batch_size", batchSize);
        activity?.SetTag("accountability.channel", complaint.Channel);

        var connection = transaction.Connection!;
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into complaints (case_id, case_number, tracking_code, tracking_hash, category, channel, district, occurred_at, location,
                                    narrative, subject_officer_badges, allegations, anonymous, complainant_sealed,
                                    complainant_name_index, name_index_key_id,
                                    owner_kind, owner_id, status, received_at, updated_at, filed_by)
            values (@caseId, null, @trackingCode, @trackingHash, @Category, @Channel, @District, @OccurredAt, @location::jsonb,
                    @Narrative, @badges, @allegations::jsonb, @anonymous, @complainant::jsonb,
                    @nameIndex, @nameIndexKeyId,
                    'unit', @deskId, 'received', @receivedAt, @receivedAt, @actor)
            """,
            new
            {
                caseId, trackingCode, trackingHash = TrackingCodes.LookupHash(symbols),
                complaint.Category, complaint.Channel, complaint.District, complaint.OccurredAt,
                location = complaint.Location is null ? null : JsonSerializer.Serialize(complaint.Location, Json),
                complaint.Narrative, badges = complaint.SubjectOfficerBadges.ToArray(),
                allegations = JsonSerializer.Serialize(allegations, Json), anonymous = complaint.Anonymous,
                complainant = sealedContact is null ? null : JsonSerializer.Serialize(sealedContact, Json),
                nameIndex = nameIndex?.Index, nameIndexKeyId = nameIndex?.KeyId,
                deskId = settings.DutyDeskUnitId, receivedAt, actor = caller.Actor,
            }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into milestones (case_id, case_version, milestone, at) values (@caseId, 0, 'received', @receivedAt)",
            new { caseId, receivedAt }, transaction, cancellationToken: cancellationToken));

        var announcement = await OutboxWriter.EnqueueAsync(transaction, new ComplaintReceived
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
        }, cancellationToken);

        return (new FilingReceipt
        {
            CaseId = caseId,
            TrackingCode = trackingCode,
            Owner = new ReceiptOwner("unit", settings.DutyDeskUnitId, settings.DutyDeskName),
            Status = "received",
            StatusUrl = $"/api/public/status/{trackingCode}",
        }, announcement, receivedAt);
    }
}
