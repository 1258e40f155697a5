using Accountability.ServiceDefaults.Security;
using Microsoft.Extensions.Caching.Memory;

namespace Accountability.Console.Backend;

/// <summary>
/// The directory in force, read from the assignment service and kept for a minute: names change
/// rarely, and every page needs them. The development sign-in page reads it before anyone is signed
/// in, with a token of the console's own (local signing key only).
/// </summary>
public sealed class DirectoryClient(ServiceApi api, IMemoryCache cache, AuthOptions auth)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    public async Task<ApiResult<OrgChart>> CurrentAsync(CancellationToken ct)
    {
        if (cache.TryGetValue<OrgChart>(nameof(DirectoryClient), out var cached) && cached is not null)
            return new(cached, null);
        var result = await api.GetAsync<DirectoryDto>(Service.Assignment, "/api/directory", ct);
        return Keep(result);
    }

    /// <summary>For the development sign-in page only: nobody is signed in yet.</summary>
    public async Task<ApiResult<OrgChart>> CurrentForSignInAsync(CancellationToken ct)
    {
        if (cache.TryGetValue<OrgChart>(nameof(DirectoryClient), out var cached) && cached is not null)
            return new(cached, null);
        var token = LocalTokens.Issue(auth, "system:console", [], TimeSpan.FromMinutes(1));
        return Keep(await api.GetAsync<DirectoryDto>(Service.Assignment, "/api/directory", ct, bearer: token));
    }

    private ApiResult<OrgChart> Keep(ApiResult<DirectoryDto> result)
    {
        if (!result.Ok || result.Value is null)
            return new(null, result.Problem ?? new ApiProblem(502, "The directory is empty", null, new Dictionary<string, string[]>()));
        var chart = new OrgChart(result.Value);
        cache.Set(nameof(DirectoryClient), chart, Lifetime);
        return new(chart, null);
    }
}
