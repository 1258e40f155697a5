using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Accountability.ServiceDefaults.Http;

/// <summary>
/// GET /api/ops/endpoints (admins): every route this process answers, as it is running. The authorization
/// matrix test reads it, so a route added without a rule in the expected table fails the build.
/// </summary>
public static class EndpointList
{
    public const string Path = "/api/ops/endpoints";

    public sealed record ListedEndpoint(string Method, string Route, bool Anonymous);

    public static IEndpointRouteBuilder MapEndpointList(this IEndpointRouteBuilder app, Action<AuthorizationPolicyBuilder> adminOnly)
    {
        app.MapGet(Path, (EndpointDataSource endpoints) => Results.Ok(List(endpoints)))
            .RequireAuthorization(adminOnly)
            .ExcludeFromDescription();
        return app;
    }

    public static IReadOnlyList<ListedEndpoint> List(EndpointDataSource endpoints) =>
    [
        .. endpoints.Endpoints.OfType<RouteEndpoint>()
            .SelectMany(endpoint =>
            {
                var route = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
                var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null
                                || endpoint.Metadata.GetMetadata<IAuthorizeData>() is null;
                var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } listed ? listed : ["GET"];
                return methods.Select(method => new ListedEndpoint(method, route, anonymous));
            })
            .Distinct()
            .OrderBy(e => e.Route, StringComparer.Ordinal).ThenBy(e => e.Method, StringComparer.Ordinal),
    ];
}
