using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Accountability.ServiceDefaults.NeedToKnow;

/// <summary>What the caller may see of a case, as the assignment service decides it.</summary>
public enum CaseSight
{
    /// <summary>No case, or one the caller has no need to know (the two are not told apart).</summary>
    None,

    /// <summary>
    /// The board's view of a confidential case (dispatchers, admins): number, owner and status only. Its category, district and
    /// deadlines are hidden, so nothing that would tell them (clocks, escalations) may be shown either.
    /// </summary>
    Masked,

    /// <summary>The board's view (dispatchers, admins): number, category, owner, status, deadlines; never the narrative or the contact.</summary>
    Board,
    Full,
}

/// <summary>
/// Need-to-know is one rule, kept by the assignment service, which knows custody, past owners, pending
/// handoffs and the chain of command. Other services ask it with the caller's own token rather than keeping
/// a second copy of the rule that could drift. If assignment cannot answer, the caller fails closed (503):
/// catch what <see cref="Unreachable"/> names and answer <see cref="Unavailable"/>.
/// </summary>
public sealed class CaseSightClient(HttpClient http)
{
    /// <summary>Assignment's limit on GET /api/cases?ids=.</summary>
    public const int MaxCasesPerRequest = 100;

    public async Task<CaseSight> SightAsync(Guid caseId, string authorization, CancellationToken cancellationToken)
    {
        using var response = await GetAsync($"/api/cases/{caseId}", authorization, cancellationToken);
        if (Refused(response))
            return CaseSight.None;
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return SightOf(body.RootElement);
    }

    /// <summary>
    /// Of <paramref name="caseIds"/> (at most <see cref="MaxCasesPerRequest"/>), how much the caller sees of each case they may see
    /// at all, in one call: assignment's list filtered by ids answers only those, so a case left out is <see cref="CaseSight.None"/>.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, CaseSight>> SightsAsync(IReadOnlyCollection<Guid> caseIds, string authorization, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(caseIds.Count, MaxCasesPerRequest);
        if (caseIds.Count == 0)
            return new Dictionary<Guid, CaseSight>();
        using var response = await GetAsync($"/api/cases?ids={string.Join(',', caseIds)}&limit={caseIds.Count}", authorization, cancellationToken);
        if (Refused(response))
            return new Dictionary<Guid, CaseSight>();
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return body.RootElement.EnumerateArray().ToDictionary(c => c.GetProperty("caseId").GetGuid(), SightOf);
    }

    /// <summary>Whether the caller sees something of the case that its clocks and escalations may be shown alongside: not masked.</summary>
    public static bool ShowsDeadlines(CaseSight sight) => sight is CaseSight.Board or CaseSight.Full;

    // Assignment says how much it showed ("access": full or board) and whether the board's view was masked ("masked").
    private static CaseSight SightOf(JsonElement view) =>
        view.TryGetProperty("access", out var access) && access.GetString() == "full" ? CaseSight.Full
        : view.TryGetProperty("masked", out var masked) && masked.ValueKind == JsonValueKind.True ? CaseSight.Masked
        : CaseSight.Board;

    /// <summary>Assignment could not answer (down, failing or too slow), as opposed to the caller having hung up.</summary>
    public static bool Unreachable(Exception exception, CancellationToken requestAborted) =>
        exception is HttpRequestException or TaskCanceledException && !requestAborted.IsCancellationRequested;

    /// <summary>The answer while assignment cannot say who may see a case: nothing is shown until it can.</summary>
    public static IResult Unavailable(string what) =>
        Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Try again shortly",
            detail: $"Who may see {what} could not be checked just now; nothing is shown until it can be.");

    /// <summary>Registers the client against the assignment service at <paramref name="assignmentUrl"/>.</summary>
    public static IHttpClientBuilder Register(IServiceCollection services, Func<IServiceProvider, Uri> assignmentUrl) =>
        services.AddHttpClient<CaseSightClient>((provider, client) =>
        {
            client.BaseAddress = assignmentUrl(provider);
            client.Timeout = TimeSpan.FromSeconds(10);
        });

    private async Task<HttpResponseMessage> GetAsync(string path, string authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        return await http.SendAsync(request, cancellationToken);
    }

    // A case the caller may not see, or a caller assignment does not accept: either way nothing is shown.
    private static bool Refused(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized;
}
