using System.Security.Claims;
using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Access;
using Accountability.Assignment.Features.Custody;
using Accountability.ServiceDefaults.Security;
using Accountability.ServiceDefaults.Telemetry;

namespace Accountability.Assignment.Features.Cases;

/// <summary>
/// A person's custody command over HTTP. Need-to-know comes first, in <see cref="NeedToKnowFirst"/>: someone who
/// may not see the case gets the same 404 as for a case that does not exist, before any rule could reveal its
/// state (a 409 for a pending handoff once told a stranger that the case existed).
/// </summary>
public sealed class CaseCommands(CaseStore store, CaseQueries queries, Messaging.Database.ServiceDatabase database, TimeProvider time)
{
    public async Task<IResult> RunAsync(ClaimsPrincipal user, Guid caseId, string step, CustodyCommand command, CancellationToken ct,
        Func<Decision.Accepted, IResult>? onAccepted = null)
    {
        System.Diagnostics.Activity.Current.TagCase(caseId, step);
        // Need-to-know was checked once already, before the route read its body (NeedToKnowFirst, on every command route).
        var decision = await store.ExecuteAsync(caseId, command, ct);
        if (decision is Decision.Refused { Refusal: var refusal })
            await RecordRefusalAsync(caseId, user, step, refusal.Code, refusal.Reason, ct);
        return decision.ToHttp(onAccepted ?? (accepted => Results.Ok(new { caseId, events = accepted.Events.Select(e => e.GetType().Name) })));
    }

    public async Task<IResult> OnHandoffAsync(ClaimsPrincipal user, Guid handoffId, string step, CustodyCommand command, CancellationToken ct) =>
        await queries.CaseOfHandoffAsync(handoffId, ct) is { } caseId
            ? await RunAsync(user, caseId, step, command, ct)
            : Results.Problem(statusCode: 404, title: "No such handoff", detail: $"There is no handoff {handoffId}.");

    /// <summary>Who tried what, and why not: into the trail through the outbox, in a transaction of its own (the refusal changed nothing).</summary>
    public async Task RecordRefusalAsync(Guid caseId, ClaimsPrincipal user, string step, string code, string reason, CancellationToken ct)
    {
        await using var connection = await database.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await Messaging.Outbox.OutboxWriter.EnqueueAsync(transaction, new Contracts.Custody.CustodyCommandRefused
        {
            CaseId = caseId, Actor = user.PersonId(), Command = step, Code = code, Reason = reason, OccurredAt = time.GetUtcNow(),
        }, ct);
        await transaction.CommitAsync(ct);
    }

    public static IResult NoSuchCase(Guid caseId) =>
        Results.Problem(statusCode: 404, title: "No such case", detail: $"There is no case {caseId} that you may see.");
}
