using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Accountability.ServiceDefaults.Security;

/// <summary>A person as the directory in force knows them.</summary>
public sealed record PersonInForce(string PersonId, bool Active, IReadOnlyList<string> Roles);

/// <summary>The directory in force, as far as identity goes. Each service keeps its own copy.</summary>
public interface IPeopleInForce
{
    /// <summary>False until the service has received a directory (a brand-new deployment's first seconds).</summary>
    bool IsLoaded { get; }

    PersonInForce? Find(string personId);
}

/// <summary>
/// Identity from the directory, not from the token: every request's <c>sub</c> must be an active person of the
/// directory in force, and that person's roles there are the most a token can grant (a token only narrows them).
/// An unknown or inactive person is refused at once (403), without waiting for the token to expire.
/// System callers (<c>system:*</c>, tokens minted by the services themselves) may only hold the dispatcher role.
/// </summary>
public static class DirectoryIdentity
{
    /// <summary>The only role a system caller may hold: the gap monitor reads the board as a dispatcher would.</summary>
    public static readonly IReadOnlyList<string> SystemCallerRoles = [Roles.Dispatcher];

    internal static IApplicationBuilder UseDirectoryIdentity(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true || context.RequestServices.GetService<IPeopleInForce>() is not { } people)
        {
            await next(context);
            return;
        }

        var subject = user.FindFirstValue("sub") ?? "";
        var tokenRoles = user.FindAll("role").Select(claim => claim.Value).ToList();
        IReadOnlyList<string> allowed;
        if (subject.StartsWith("system:", StringComparison.Ordinal))
            allowed = SystemCallerRoles;
        else if (!people.IsLoaded)
        {
            // Only before the first directory ever reaches this service. A deployment refuses (fails closed): a token's
            // roles are not identity. A throwaway run (make up, the tests' own processes) trusts them, logged so that it is seen.
            if (!TrustsTokensUntilDirectory(context.RequestServices.GetRequiredService<IHostEnvironment>()))
            {
                await NotYet(context);
                return;
            }
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Accountability.DirectoryIdentity")
                .LogWarning("No directory received yet: {Subject}'s token roles are trusted for this request", subject);
            allowed = tokenRoles;
        }
        else if (people.Find(subject) is not { } person)
        {
            await Refuse(context, $"'{subject}' is not in the directory in force.");
            return;
        }
        else if (!person.Active)
        {
            await Refuse(context, $"{subject} is no longer active in the directory.");
            return;
        }
        else
            allowed = person.Roles;

        var narrowed = tokenRoles.Where(role => allowed.Contains(role, StringComparer.Ordinal)).ToHashSet(StringComparer.Ordinal);
        if (narrowed.Count != tokenRoles.Count)
        {
            var identity = new ClaimsIdentity(user.Identity.AuthenticationType, "sub", "role");
            identity.AddClaims(user.Claims.Where(claim => claim.Type != "role").Select(claim => new Claim(claim.Type, claim.Value, claim.ValueType, claim.Issuer)));
            identity.AddClaims(narrowed.Select(role => new Claim("role", role)));
            context.User = new ClaimsPrincipal(identity);
        }
        await next(context);
    });

    /// <summary>
    /// Whether a service that has not yet received a directory trusts the token's roles: only in Development (<c>make up</c>)
    /// and Testing (the processes the tests start, many of them without an assignment service to publish a directory).
    /// </summary>
    public static bool TrustsTokensUntilDirectory(IHostEnvironment environment) =>
        environment.IsDevelopment() || environment.IsEnvironment("Testing");

    private static Task NotYet(HttpContext context) =>
        Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "The directory has not arrived yet",
                detail: "This service has not yet received the org directory, so it cannot tell who you are; try again shortly.")
            .ExecuteAsync(context);

    private static Task Refuse(HttpContext context, string detail) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not a person in the directory in force", detail: detail)
            .ExecuteAsync(context);
}
