using Accountability.Assignment.Features.Custody;

namespace Accountability.Assignment.Features.Cases;

/// <summary>How a refusal of the custody rules reads over HTTP: always problem+json with the rule's code and reason.</summary>
public static class RefusalResults
{
    public static IResult ToHttp(this Decision decision, Func<Decision.Accepted, IResult> accepted) => decision switch
    {
        Decision.Accepted ok => accepted(ok),
        // A conflicted actor learns nothing, not even that the case exists: the same answer as an unknown case.
        Decision.Refused { Refusal.Code: RefusalCodes.ActorConflicted } => Results.Problem(
            statusCode: StatusCodes.Status404NotFound, title: "No such case", detail: "There is no such case."),
        Decision.Refused { Refusal: var refusal } => Results.Problem(
            statusCode: StatusFor(refusal.Code),
            title: "The custody rules refused this",
            detail: refusal.Reason,
            extensions: refusal.Field is { } field
                ? new Dictionary<string, object?> { ["code"] = refusal.Code, ["errors"] = new Dictionary<string, string[]> { [field] = [refusal.Reason] } }
                : new Dictionary<string, object?> { ["code"] = refusal.Code }),
        _ => throw new InvalidOperationException("Unknown decision."),
    };

    private static int StatusFor(string code) => code switch
    {
        RefusalCodes.CaseNotReceived or RefusalCodes.ActorConflicted => StatusCodes.Status404NotFound,
        RefusalCodes.NotPermitted or RefusalCodes.ActorUnknown or RefusalCodes.ActorInactive => StatusCodes.Status403Forbidden,
        RefusalCodes.PersonUnknown or RefusalCodes.UnitUnknown or RefusalCodes.AllegationUnknown
            or RefusalCodes.FindingInvalid or RefusalCodes.ReasonRequired or RefusalCodes.InvalidCommand
            or RefusalCodes.HandoffToSelf or RefusalCodes.PersonInactive or RefusalCodes.PersonNotInUnit
            or RefusalCodes.ConflictOfInterest or RefusalCodes.NotOnConfidentialTeam or RefusalCodes.RoleCannotInvestigate => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status409Conflict,
    };
}
