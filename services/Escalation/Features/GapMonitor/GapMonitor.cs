using System.Diagnostics;
using System.Text.Json;
using Accountability.Contracts.Escalation;
using Accountability.Escalation.Data;
using Accountability.Escalation.Features.Calendar;
using Accountability.Escalation.Features.Clocks;
using Accountability.Escalation.Features.Escalations;
using Accountability.Escalation.Features.Policies;
using Accountability.Escalation.Features.Timers;
using Accountability.Messaging.Database;
using Accountability.Messaging.Migrations;
using Accountability.ServiceDefaults.Telemetry;
using Dapper;
using Microsoft.Extensions.Options;

namespace Accountability.Escalation.Features.GapMonitor;

/// <summary>
/// The safety net for the day the event flow fails: on its own schedule it reads every open case
/// from assignment's HTTP API and checks that the owner is known and active, the acknowledgement is
/// not overdue and no handoff is pending past its deadline. Each problem is escalated once, unless
/// Escalation:GapMonitorEscalates is false (report-only).
/// </summary>
public sealed class GapMonitor(
    AssignmentClient assignment,
    ServiceDatabase database,
    BusinessCalendar calendar,
    PolicySettings settings,
    GapMetrics metrics,
    TimeProvider time,
    MigrationGate migrations,
    IOptions<EscalationOptions> options,
    ILogger<GapMonitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitAsync(stoppingToken);
        if (!options.Value.GapMonitorEscalates)
            logger.LogInformation("Gap monitor is report-only (Escalation:GapMonitorEscalates=false): it reports gaps and escalates none");
        // Real time on purpose: the sweep must keep running even when a test holds the SLA clock still.
        using var timer = new PeriodicTimer(options.Value.GapMonitorInterval);
        do
        {
            try
            {
                metrics.Record(await SweepAsync(stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "Gap monitor sweep failed");
                // Keep the last counts: a failed read is not evidence that the gaps closed.
                if (metrics.Last is { } previous)
                    metrics.Record(previous with { Error = exception.Message });
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<GapReport> SweepAsync(CancellationToken ct)
    {
        using var activity = TimerPoller.Source.StartActivity("gap monitor sweep");
        var now = time.GetUtcNow();
        var directory = await assignment.DirectoryAsync(ct);
        var chain = new ChainOfCommand(directory.Directory);
        await KeepDirectoryAsync(directory, now, ct);

        PolicyCatalog policies;
        await using (var connection = await database.OpenConnectionAsync(ct))
            policies = await PolicyStore.LoadAsync(connection, null, ct);

        var findings = new List<GapFinding>();
        int open = 0, unowned = 0, overdue = 0;
        var pageSize = options.Value.GapMonitorPageSize;
        var escalates = options.Value.GapMonitorEscalates;
        // Page after page, each after the last case of the one before: a page costs assignment that page alone, where an
        // offset made it sort and read every case before it too (half a second a page over 16,000 open cases; docs/bench.md,
        // twenty-ninth round). An assignment older than the cursor ignores it and answers the first page again, which no
        // page after a case can hold (the order is by receipt, which never changes): then this sweep goes on by offset.
        var swept = new HashSet<Guid>();
        Guid? after = null;
        int? offset = null;
        while (true)
        {
            var page = offset is { } skip ? await assignment.OpenCasesAsync(pageSize, skip, ct) : await assignment.OpenCasesAfterAsync(pageSize, after, ct);
            if (offset is null && after is not null && page.Any(c => swept.Contains(c.CaseId)))
            {
                logger.LogWarning("Assignment answered a page after case {CaseId} with cases already swept: it predates the page cursor, so this sweep goes on by offset", after);
                offset = swept.Count;
                continue;
            }
            // One query per page for what escalation knows, not one per case: a sweep of thousands of open cases stays cheap.
            var (known, seen) = await PageFactsAsync(page, ct);
            foreach (var @case in page)
            {
                if (!swept.Add(@case.CaseId))
                    continue; // by offset, a case filed meanwhile can push one already swept onto the next page
                open++;
                var problems = ProblemsOf(@case, chain, PolicyOf(@case, known.GetValueOrDefault(@case.CaseId), policies), now);
                if (problems.Any(p => p.Problem is "owner-unknown" or "owner-inactive"))
                    unowned++;
                if (problems.Any(p => p.Problem is "acknowledge-overdue" or "handoff-overdue"))
                    overdue++;
                foreach (var problem in problems)
                    findings.Add(problem with
                    {
                        EscalatedNow = escalates && !seen.Contains((@case.CaseId, problem.Problem, ProblemKey(@case, problem)))
                                       && await EscalateOnceAsync(@case, problem, chain, now, ct),
                    });
            }
            if (page.Count < pageSize)
                break;
            if (offset is not null)
                offset += page.Count;
            else
                after = page[^1].CaseId;
        }
        activity?.SetTag("accountability.cases.unowned", unowned);
        activity?.SetTag("accountability.cases.overdue", overdue);
        if (unowned > 0 || overdue > 0)
            logger.LogWarning("Gap monitor: {Unowned} unowned and {Overdue} overdue of {Open} open cases", unowned, overdue, open);
        return new GapReport(now, open, unowned, overdue, findings, null, escalates);
    }

    private List<GapFinding> ProblemsOf(OpenCaseDto @case, ChainOfCommand chain, SlaPolicy? policy, DateTimeOffset now)
    {
        var (kind, id) = (@case.Owner.Kind, @case.Owner.Id);
        var problems = new List<GapFinding>();
        if (!chain.IsActiveOwner(kind, id))
        {
            var known = kind == "person" ? chain.FindPerson(id) is not null : chain.FindUnit(id) is not null;
            problems.Add(new GapFinding(@case.CaseId, known ? "owner-inactive" : "owner-unknown", kind, id,
                known ? $"{kind} {id} is no longer active." : $"{kind} {id} is not in the directory.", false));
            return problems; // an owner who cannot act cannot be overdue in any useful sense: the escalation covers it
        }

        if (policy is null)
            return problems;
        if (!@case.Acknowledged)
        {
            var limit = policy.Clocks[SlaClocks.Acknowledge];
            DateTimeOffset DueFrom(DateTimeOffset start) => ClockMath.DueAt(new ClockRun(start, limit.Budget(calendar), limit.IsBusinessTime, []), calendar, now);
            // The clock runs from when the current owner took the case; the list says when (one request per page, not per case).
            var overdue = DueFrom(@case.OwnedSince ?? @case.ReceivedAt) <= now;
            if (overdue)
                problems.Add(new GapFinding(@case.CaseId, "acknowledge-overdue", kind, id, $"{kind} {id} has not acknowledged the case in time.", false));
        }
        if (@case.PendingHandoff is { } handoff)
        {
            var limit = policy.Clocks[SlaClocks.HandoffAccept];
            var due = ClockMath.DueAt(new ClockRun(handoff.RequestedAt, limit.Budget(calendar), limit.IsBusinessTime, []), calendar, now);
            if (due <= now)
                problems.Add(new GapFinding(@case.CaseId, "handoff-overdue", kind, id,
                    $"Handoff {handoff.HandoffId} to {handoff.ToKind} {handoff.ToId} has been pending since {handoff.RequestedAt:O}, past {due:O}.", false));
        }
        return problems;
    }

    /// <summary>The page's cases as escalation knows them, and the findings already recorded for them (each escalated once, at most).</summary>
    private async Task<(Dictionary<Guid, CaseRow> Known, HashSet<(Guid, string, string)> Seen)> PageFactsAsync(
        IReadOnlyList<OpenCaseDto> page, CancellationToken ct)
    {
        var ids = page.Select(c => c.CaseId).ToArray();
        await using var connection = await database.OpenConnectionAsync(ct);
        var known = (await CaseClockStore.FindCasesAsync(connection, ids, ct)).ToDictionary(c => c.CaseId);
        var seen = (await connection.QueryAsync<(Guid CaseId, string Problem, string ProblemKey)>(new CommandDefinition(
            "select case_id, problem, problem_key from gap_findings where case_id = any(@ids)", new { ids }, cancellationToken: ct))).ToHashSet();
        return (known, seen);
    }

    /// <summary>The case's own policy version when we know the case, else the version in force at its receipt.</summary>
    private SlaPolicy? PolicyOf(OpenCaseDto @case, CaseRow? known, PolicyCatalog policies)
    {
        if (known is { Policy: { } key } && policies.Find(key) is { } pinned)
            return pinned;
        var priority = Priorities.Of(@case.Category, [], settings.UrgentCategories);
        return policies.Resolve(@case.Category, priority, @case.ReceivedAt)
               ?? policies.Resolve(@case.Category, priority, DateTimeOffset.MaxValue);
    }

    private static string ProblemKey(OpenCaseDto @case, GapFinding finding) =>
        finding.Problem == "handoff-overdue" ? @case.PendingHandoff!.HandoffId.ToString() : $"{finding.OwnerKind}:{finding.OwnerId}";

    /// <summary>Records the finding; only the first sighting of a problem escalates. Returns whether this sweep escalated it.</summary>
    private async Task<bool> EscalateOnceAsync(OpenCaseDto @case, GapFinding finding, ChainOfCommand chain, DateTimeOffset now, CancellationToken ct)
    {
        var key = ProblemKey(@case, finding);
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            "insert into gap_findings (case_id, problem, problem_key, found_at) values (@CaseId, @Problem, @key, @now) on conflict do nothing",
            new { @case.CaseId, finding.Problem, key, now = now.ForDb() }, transaction, cancellationToken: ct));
        if (inserted == 0)
        {
            await transaction.RollbackAsync(ct);
            return false;
        }

        using var activity = TimerPoller.Source.StartActivity("gap monitor escalation");
        activity.TagCase(@case.CaseId, $"gap:{finding.Problem}", finding.OwnerKind, finding.OwnerId);
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into cases (case_id) values (@CaseId) on conflict (case_id) do nothing", new { @case.CaseId }, transaction, cancellationToken: ct));
        var local = await CaseClockStore.LockCaseAsync(transaction, @case.CaseId, ct);
        var level = local?.EscalationLevel ?? 0;
        var clock = finding.Problem switch
        {
            "acknowledge-overdue" => SlaClocks.Acknowledge,
            "handoff-overdue" => SlaClocks.HandoffAccept,
            _ => "owner",
        };
        // The timer may have escalated this very breach already; then the finding is only counted.
        var alreadyEscalated = clock != "owner" && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from escalations where case_id = @CaseId and clock = @clock and owner_kind = @OwnerKind and owner_id = @OwnerId)",
            new { @case.CaseId, clock, finding.OwnerKind, finding.OwnerId }, transaction, cancellationToken: ct));
        if (!alreadyEscalated)
        {
            var plan = clock == "owner"
                ? EscalationDecider.OnUnownedCase(finding.OwnerKind, finding.OwnerId, @case.UnitId, level, chain, finding.Problem == "owner-inactive" ? "inactive" : "unknown")
                : EscalationDecider.OnBreach(clock, finding.OwnerKind, finding.OwnerId, level, chain);
            plan = plan with { Reason = $"Gap monitor: {finding.Detail} {plan.Reason}" };
            var escalationId = await EscalationWriter.RaiseAsync(transaction, @case.CaseId, clock, finding.OwnerKind, finding.OwnerId, plan, "gap-monitor", now, ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "update gap_findings set escalation_id = @escalationId where case_id = @CaseId and problem = @Problem and problem_key = @key",
                new { escalationId, @case.CaseId, finding.Problem, key }, transaction, cancellationToken: ct));
        }
        await transaction.CommitAsync(ct);
        return !alreadyEscalated;
    }

    /// <summary>The sweep reads the directory anyway; keeping it also heals a copy that missed a DirectoryPublished.</summary>
    private async Task KeepDirectoryAsync(DirectoryDto directory, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into org_directory (version, body, published_at) values (@Version, @Body::jsonb, @now) on conflict (version) do nothing",
            new { directory.Version, Body = JsonSerializer.Serialize(directory.Directory, new JsonSerializerOptions(JsonSerializerDefaults.Web)), now = now.ForDb() },
            cancellationToken: ct));
    }
}
