using System.Text.Json;
using Accountability.Contracts.Custody;
using Accountability.Contracts.EarlyWarning;
using Accountability.Contracts.Intake;
using Accountability.Escalation.Data;
using Accountability.Escalation.Features.Escalations;
using Accountability.Messaging.Outbox;
using Dapper;
using Npgsql;

namespace Accountability.Escalation.Features.EarlyWarning;

/// <summary>
/// The allegations the threshold policies count, and the warnings raised, in the consumer's transaction: record what the
/// event says, then evaluate each officer it touched (under a lock per officer, so two cases of one officer arriving at
/// once cannot both cross) and write any new warning with its EarlyWarningRaised to the outbox.
/// </summary>
public sealed class EarlyWarningStore(ThresholdPolicies policies, TimeProvider time, ILogger<EarlyWarningStore> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The evaluator's inbox stream for a complaint or an amendment: its consumer's name, kept since the clocks' writer took
    /// these over (<see cref="ApplyAllAsync"/>). A broker that ran an older version still brings them to the evaluator's own
    /// queue as well, and the shared name records each once, whichever queue delivers it first.
    /// </summary>
    public static string InboxNameOf(object message) => $"EarlyWarningConsumer.{message.GetType().Name}";

    public Task<IReadOnlyList<EarlyWarningRaised>> ApplyAsync(NpgsqlTransaction transaction, ComplaintReceived complaint, CancellationToken cancellationToken) =>
        ApplyAllAsync(transaction, [complaint], cancellationToken);

    public Task<IReadOnlyList<EarlyWarningRaised>> ApplyAsync(NpgsqlTransaction transaction, AllegationAmended amended, CancellationToken cancellationToken) =>
        ApplyAllAsync(transaction, [amended], cancellationToken);

    /// <summary>
    /// Complaints (<see cref="ComplaintReceived"/>) and amendments (<see cref="AllegationAmended"/>) of several cases in one
    /// transaction: every complaint's allegations in one statement, each amendment after them in the order given, then each
    /// officer they name evaluated once. The evaluator folds an officer's allegations in the order they happened, so
    /// evaluating once after a group gives the warnings that evaluating after each event would.
    /// </summary>
    /// <remarks>
    /// Every allegation is stored, a named officer or not: an amendment that names one later takes the case number from it.
    /// The officers' locks are taken first, in one order (<see cref="Badges"/>), so two groups naming the same officers
    /// never deadlock, and two cases of one officer arriving at once cannot both cross.
    /// </remarks>
    public async Task<IReadOnlyList<EarlyWarningRaised>> ApplyAllAsync(NpgsqlTransaction transaction, IReadOnlyList<object> messages, CancellationToken cancellationToken)
    {
        var complaints = messages.OfType<ComplaintReceived>().ToList();
        var amendments = messages.OfType<AllegationAmended>().ToList();
        if (complaints.Count + amendments.Count != messages.Count)
            throw new ArgumentException("Only complaints and amendments are recorded together.", nameof(messages));
        var named = Badges([.. complaints.SelectMany(c => c.Allegations.Select(a => a.OfficerBadge)), .. amendments.Select(a => a.Allegation.OfficerBadge)]);
        await LockAsync(transaction, Badges([.. named, .. amendments.Select(a => a.Previous?.OfficerBadge ?? "")]), cancellationToken);
        var connection = transaction.Connection!;
        var allegations = complaints.SelectMany(complaint => complaint.Allegations.Select(allegation => new
        {
            case_id = complaint.CaseId, allegation_id = allegation.AllegationId.ToString(), officer_badge = allegation.OfficerBadge.Trim(),
            allegation_type = allegation.Type, case_number = complaint.CaseNumber, subject_badges = complaint.SubjectOfficerBadges, counted_at = complaint.ReceivedAt,
        })).ToList();
        if (allegations.Count > 0)
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into early_warning_allegations (case_id, allegation_id, officer_badge, allegation_type, case_number, subject_badges, counted_at)
                select case_id, allegation_id, officer_badge, allegation_type, case_number, subject_badges, counted_at
                from jsonb_to_recordset(@allegations::jsonb) as a(case_id uuid, allegation_id text, officer_badge text, allegation_type text,
                                                                  case_number text, subject_badges text[], counted_at timestamptz)
                on conflict (case_id, allegation_id) do nothing
                """,
                new { allegations = JsonSerializer.Serialize(allegations, Json) }, transaction, cancellationToken: cancellationToken));
        foreach (var amended in amendments)
            await RecordAsync(transaction, amended, cancellationToken);
        return await EvaluateAsync(transaction, named, cancellationToken);
    }

    /// <summary>An added allegation counts from when it was added; a corrected one keeps its instant and may change officer.</summary>
    private static async Task RecordAsync(NpgsqlTransaction transaction, AllegationAmended amended, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into early_warning_allegations (case_id, allegation_id, officer_badge, allegation_type, case_number, subject_badges, counted_at)
            values (@CaseId, @AllegationId, @OfficerBadge, @Type,
                    (select max(case_number) from early_warning_allegations where case_id = @CaseId), @Subjects, @At)
            on conflict (case_id, allegation_id) do update set officer_badge = excluded.officer_badge, allegation_type = excluded.allegation_type
            """,
            new
            {
                amended.CaseId, AllegationId = amended.Allegation.Id, OfficerBadge = amended.Allegation.OfficerBadge.Trim(), amended.Allegation.Type,
                Subjects = amended.SubjectOfficerBadges.ToArray(), At = amended.OccurredAt.ForDb(),
            }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "update early_warning_allegations set subject_badges = @Subjects where case_id = @CaseId",
            new { amended.CaseId, Subjects = amended.SubjectOfficerBadges.ToArray() }, transaction, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<EarlyWarningRaised>> ApplyAsync(NpgsqlTransaction transaction, FindingsRecorded recorded, CancellationToken cancellationToken)
    {
        var badge = await transaction.Connection!.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "select officer_badge from early_warning_allegations where case_id = @CaseId and allegation_id = @AllegationId",
            new { recorded.CaseId, recorded.AllegationId }, transaction, cancellationToken: cancellationToken));
        if (badge is null)
        {
            logger.LogWarning("A finding on allegation {AllegationId} of case {CaseId} arrived before the allegation; it is not counted", recorded.AllegationId, recorded.CaseId);
            return [];
        }
        var badges = Badges([badge]);
        await LockAsync(transaction, badges, cancellationToken);
        await transaction.Connection!.ExecuteAsync(new CommandDefinition(
            "update early_warning_allegations set finding = @Finding, finding_at = @At where case_id = @CaseId and allegation_id = @AllegationId",
            new { recorded.Finding, At = recorded.OccurredAt.ForDb(), recorded.CaseId, recorded.AllegationId }, transaction, cancellationToken: cancellationToken));
        return await EvaluateAsync(transaction, badges, cancellationToken);
    }

    private async Task<IReadOnlyList<EarlyWarningRaised>> EvaluateAsync(NpgsqlTransaction transaction, IReadOnlyList<string> badges, CancellationToken cancellationToken)
    {
        if (badges.Count == 0)
            return [];
        var connection = transaction.Connection!;
        var chain = await OrgDirectoryStore.LatestAsync(connection, transaction, cancellationToken);
        var raised = new List<EarlyWarningRaised>();
        foreach (var badge in badges)
        {
            var allegations = (await connection.QueryAsync<AllegationRow>(new CommandDefinition(
                """
                select case_id as CaseId, allegation_id as AllegationId, allegation_type as Type, counted_at as At, case_number as CaseNumber,
                       subject_badges as SubjectBadges, finding as Finding, finding_at as FindingAt
                from early_warning_allegations where upper(officer_badge) = upper(@badge)
                """, new { badge }, transaction, cancellationToken: cancellationToken)))
                .Select(r => new CountedAllegation(r.CaseId, r.AllegationId, r.Type, DbTime.Utc(r.At), r.CaseNumber, r.SubjectBadges, r.Finding, DbTime.Utc(r.FindingAt)))
                .ToList();
            var prior = (await connection.QueryAsync<PriorRow>(new CommandDefinition(
                "select policy_id as PolicyId, occurred_at as At, allegation_keys as AllegationKeys from early_warnings where upper(officer_badge) = upper(@badge)",
                new { badge }, transaction, cancellationToken: cancellationToken)))
                .Select(r => new PriorWarning(r.PolicyId, DbTime.Utc(r.At), r.AllegationKeys)).ToList();
            var officer = chain?.FindByBadge(badge);
            foreach (var decision in EarlyWarningEvaluator.Evaluate(badge, officer?.UnitId, allegations, prior, policies))
            {
                var message = Announce(badge, officer?.Id, decision, chain);
                var inserted = await connection.ExecuteAsync(new CommandDefinition(
                    """
                    insert into early_warnings (warning_id, officer_badge, officer_person_id, policy_id, policy_version, policy_kind, reason, occurred_at,
                                                window_start, cases, allegation_keys, supervisor_chain, ia_command, raised_at)
                    values (@WarningId, @OfficerBadge, @OfficerPersonId, @PolicyId, @PolicyVersion, @PolicyKind, @Reason, @OccurredAt,
                            @WindowStart, @Cases::jsonb, @Keys, @Chain, @Ia, @Now)
                    on conflict (warning_id) do nothing
                    """,
                    new
                    {
                        message.WarningId, message.OfficerBadge, message.OfficerPersonId, message.PolicyId, message.PolicyVersion, message.PolicyKind,
                        message.Reason, OccurredAt = message.OccurredAt.ForDb(), WindowStart = message.WindowStart.ForDb(),
                        Cases = JsonSerializer.Serialize(message.Cases, Json), Keys = EarlyWarningEvaluator.Keys(decision.Counted).ToArray(),
                        Chain = message.SupervisorChain.ToArray(), Ia = message.InternalAffairsCommand.ToArray(), Now = time.GetUtcNow().ForDb(),
                    }, transaction, cancellationToken: cancellationToken));
                if (inserted == 0)
                    continue;
                await OutboxWriter.EnqueueAsync(transaction, message, cancellationToken);
                raised.Add(message);
            }
        }
        return raised;
    }

    /// <summary>
    /// The event, with who is told: the officer's supervisors and internal-affairs command, but never the officer himself
    /// nor anyone who is a subject of a case that counted (a sergeant complained about in one of them learns nothing here).
    /// </summary>
    public static EarlyWarningRaised Announce(string badge, string? officerPersonId, WarningDecision decision, ChainOfCommand? chain)
    {
        var cases = decision.Counted.GroupBy(a => a.CaseId).Select(g => new EarlyWarningCase
        {
            CaseId = g.Key,
            CaseNumber = g.Select(a => a.CaseNumber).FirstOrDefault(n => n is not null),
            AllegationIds = [.. g.Select(a => a.AllegationId)],
            SubjectOfficerBadges = [.. g.SelectMany(a => a.SubjectBadges).Distinct(StringComparer.OrdinalIgnoreCase)],
        }).ToList();
        var excludedBadges = cases.SelectMany(c => c.SubjectOfficerBadges).Append(badge).ToHashSet(StringComparer.OrdinalIgnoreCase);
        bool Excluded(string personId) => chain?.FindPerson(personId) is not { } person || excludedBadges.Contains(person.Badge) || person.Id == officerPersonId;
        var supervisors = officerPersonId is null || chain is null ? [] : chain.SupervisorsOf(officerPersonId).Where(p => !Excluded(p)).ToList();
        var command = chain is null ? [] : chain.InternalAffairsCommandIds().Where(p => !Excluded(p) && !supervisors.Contains(p)).ToList();
        return new EarlyWarningRaised
        {
            WarningId = decision.WarningId,
            OfficerBadge = badge,
            OfficerPersonId = officerPersonId,
            PolicyId = decision.PolicyId,
            PolicyVersion = decision.PolicyVersion,
            PolicyKind = decision.Kind,
            Reason = decision.Reason,
            OccurredAt = decision.At,
            WindowStart = decision.WindowStart,
            Cases = cases,
            SupervisorChain = supervisors,
            InternalAffairsCommand = command,
            Actor = "system:escalation",
        };
    }

    /// <summary>Identified officers only, once each, in one order (the locks are taken in it, so two events never deadlock).</summary>
    private static List<string> Badges(IEnumerable<string> badges) =>
        [.. badges.Select(b => b.Trim()).Where(b => b.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase)];

    private static async Task LockAsync(NpgsqlTransaction transaction, IReadOnlyList<string> badges, CancellationToken cancellationToken)
    {
        foreach (var badge in badges.Order(StringComparer.OrdinalIgnoreCase))
            await transaction.Connection!.ExecuteAsync(new CommandDefinition(
                "select pg_advisory_xact_lock(hashtextextended('early-warning:' || upper(@badge), 0))", new { badge }, transaction, cancellationToken: cancellationToken));
    }

    // Classes with setters: Dapper materializes text[] only into properties, not constructor parameters.
    private sealed class AllegationRow
    {
        public Guid CaseId { get; init; }
        public string AllegationId { get; init; } = "";
        public string Type { get; init; } = "";
        public DateTime At { get; init; }
        public string? CaseNumber { get; init; }
        public string[] SubjectBadges { get; init; } = [];
        public string? Finding { get; init; }
        public DateTime? FindingAt { get; init; }
    }

    private sealed class PriorRow
    {
        public string PolicyId { get; init; } = "";
        public DateTime At { get; init; }
        public string[] AllegationKeys { get; init; } = [];
    }
}
