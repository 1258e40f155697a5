using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Accountability.Intake.Features.ReadComplaint;

/// <summary>What the caller may see of a case, as the assignment service decides it.</summary>
public enum CaseSight
{
    /// <summary>No case, or one the caller has no need to know (the two are not told apart).</summary>
    None,

    /// <summary>The board's view (dispatchers, admins): never the narrative or the contact.</summary>
    Board,
    Full,
}

/// <summary>
/// Need-to-know is one rule, kept by the assignment service, which knows custody, past owners, pending
/// handoffs and the chain of command. Intake asks it with the caller's own token rather than keeping a
/// second copy of the rule that could drift. If assignment cannot answer, the read fails closed (503).
/// </summary>
public sealed class CaseSightClient(HttpClient http)
{
    public async Task<CaseSight> SightAsync(Guid caseId, string authorization, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/cases/{caseId}");
        request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
            return CaseSight.None;
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        return body.RootElement.TryGetProperty("access", out var access) && access.GetString() == "full" ? CaseSight.Full : CaseSight.Board;
    }

    public static void Register(WebApplicationBuilder builder) =>
        builder.Services.AddHttpClient<CaseSightClient>((services, client) =>
        {
            client.BaseAddress = services.GetRequiredService<IOptions<IntakeOptions>>().Value.AssignmentUrl;
            client.Timeout = TimeSpan.FromSeconds(10);
        });
}
