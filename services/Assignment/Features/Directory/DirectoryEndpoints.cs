using System.Security.Claims;
using Accountability.Assignment.Data;
using Accountability.Contracts.Directory;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Assignment.Features.Directory;

public static class DirectoryEndpoints
{
    /// <summary>GET the directory in force; PUT a whole new version (admins), validated first, announced by DirectoryPublished.</summary>
    public static IEndpointRouteBuilder MapDirectoryEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/directory", (DirectoryCache cache) => Results.Ok(new { version = cache.Version, directory = cache.Chart.Directory }))
            .RequireAuthorization();

        app.MapPut("/api/directory", async (HttpRequest request, ClaimsPrincipal user, DirectoryStore store, CancellationToken ct) =>
        {
            using var reader = new StreamReader(request.Body);
            var json = await reader.ReadToEndAsync(ct);
            OrgDirectory directory;
            try
            {
                directory = DirectoryLoader.Parse(json, "the request body");
                var version = await store.PublishAsync(directory, user.PersonId(), request.Headers["X-Change-Reason"].FirstOrDefault() ?? "Edited through the API", ct);
                return Results.Ok(new { version });
            }
            catch (InvalidDirectoryException invalid)
            {
                return Results.ValidationProblem(
                    invalid.Problems.GroupBy(p => p.Path).ToDictionary(g => g.Key, g => g.Select(p => p.Message).ToArray()),
                    title: "The directory is not valid");
            }
        }).RequireAuthorization(Roles.Admin);
        return app;
    }
}
