using System.Security.Claims;
using Accountability.Escalation.Data;
using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Escalation.Features.Policies;

public static class PolicyEndpoints
{
    private static readonly string[] Readers = [Roles.Admin, Roles.Supervisor, Roles.Commander, Roles.Auditor];

    /// <summary>GET every version; POST a new version (admins). A new version applies to cases received from its EffectiveFrom on; open cases keep theirs.</summary>
    public static IEndpointRouteBuilder MapPolicyEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/policies", async (PolicyStore store, CancellationToken ct) => Results.Ok((await store.LoadAsync(ct)).All))
            .RequireAuthorization(policy => policy.RequireRole(Readers));

        app.MapPost("/api/policies", async (HttpRequest request, ClaimsPrincipal user, PolicyStore store, TimeProvider time, CancellationToken ct) =>
        {
            var body = await JsonRequestBody.ReadAsync<PolicyRequest>(request, cancellationToken: ct);
            if (!body.IsValid)
                return body.Problem!;
            var now = time.GetUtcNow();
            var (policy, errors) = PolicyValidator.Check(body.Value!, now, user.PersonId());
            if (policy is null)
                return Results.ValidationProblem(errors, title: "The policy is not valid");
            var (sequenceErrors, conflict) = await store.AppendAsync(policy, now, allowPast: false, ct);
            if (sequenceErrors.Count > 0)
                return Results.ValidationProblem(sequenceErrors, statusCode: conflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest,
                    title: conflict ? "The policy version overlaps an existing one" : "The policy version does not follow the existing ones");
            return Results.Created($"/api/policies/{policy.Category}/{policy.Priority}/{policy.Version}", policy);
        }).RequireAuthorization(Roles.Admin);
        return app;
    }
}
