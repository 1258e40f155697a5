using System.Security.Claims;
using Accountability.Assignment.Data;
using Accountability.Assignment.Features.Access;
using Accountability.Assignment.Features.Custody;
using Accountability.ServiceDefaults.Telemetry;

namespace Accountability.Assignment.Features.Cases;

/// <summary>
/// A person's custody command over HTTP. Need-to-know comes first: someone who may not see the case gets
/// the same 404 as for a case that does not exist, before any rule could reveal its state (a 409 for a
/// pending handoff once told a stranger that the case existed).
/// </summary>
public sealed class CaseCommands(CaseStore store, CaseQueries queries, CaseReaders readers)
{
    public async Task<IResult> RunAsync(ClaimsPrincipal user, Guid caseId, string step, CustodyCommand command, CancellationToken ct,
        Func<Decision.Accepted, IResult>? onAccepted = null)
    {
        System.Diagnostics.Activity.Current.TagCase(caseId, step);
        if (await queries.FindAsync(caseId, readers.For(user), ct) is null)
            return NoSuchCase(caseId);
        var decision = await store.ExecuteAsync(caseId, command, ct);
        return decision.ToHttp(onAccepted ?? (accepted => Results.Ok(new { caseId, events = accepted.Events.Select(e => e.GetType().Name) })));
    }

    public async Task<IResult> OnHandoffAsync(ClaimsPrincipal user, Guid handoffId, string step, CustodyCommand command, CancellationToken ct) =>
        await queries.CaseOfHandoffAsync(handoffId, ct) is { } caseId
            ? await RunAsync(user, caseId, step, command, ct)
            : Results.Problem(statusCode: 404, title: "No such handoff", detail: $"There is no handoff {handoffId}.");

    public static IResult NoSuchCase(Guid caseId) =>
        Results.Problem(statusCode: 404, title: "No such case", detail: $"There is no case {caseId} that you may see.");
}
