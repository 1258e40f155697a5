using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Accountability.Contracts.Directory;
using Accountability.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Accountability.Escalation.Features.GapMonitor;

public sealed record OwnerDto(string Kind, string Id);

public sealed record PendingHandoffDto(Guid HandoffId, string ToKind, string ToId, DateTimeOffset RequestedAt);

/// <summary>A case as assignment's GET /api/cases lists it (only the fields the monitor reads).</summary>
public sealed record OpenCaseDto(Guid CaseId, string Status, OwnerDto Owner, string UnitId, string Category, bool Acknowledged,
    PendingHandoffDto? PendingHandoff, DateTimeOffset ReceivedAt, DateTimeOffset? OwnedSince, long CaseVersion);

public sealed record DirectoryDto(long Version, OrgDirectory Directory);

/// <summary>
/// Reads the assignment service's documented HTTP API, as a system caller with a token it mints
/// itself (sub system:escalation, role dispatcher), so the monitor depends on no event at all.
/// </summary>
public sealed class AssignmentClient(HttpClient http, AuthOptions auth, IOptions<EscalationOptions> options)
{
    public const string Subject = "system:escalation";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<DirectoryDto> DirectoryAsync(CancellationToken ct) =>
        (await GetAsync<DirectoryDto>("/api/directory", ct))!;

    /// <summary>The open cases after <paramref name="after"/> in the newest-first order (the first page when null).</summary>
    public async Task<IReadOnlyList<OpenCaseDto>> OpenCasesAfterAsync(int limit, Guid? after, CancellationToken ct) =>
        (await GetAsync<List<OpenCaseDto>>($"/api/cases?status=open&limit={limit}" + (after is { } id ? $"&after={id}" : ""), ct))!;

    /// <summary>By offset: for an assignment older than the cursor, which ignores it.</summary>
    public async Task<IReadOnlyList<OpenCaseDto>> OpenCasesAsync(int limit, int offset, CancellationToken ct) =>
        (await GetAsync<List<OpenCaseDto>>($"/api/cases?status=open&limit={limit}&offset={offset}", ct))!;

    private async Task<T?> GetAsync<T>(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(options.Value.AssignmentUrl), path));
        // A fresh short-lived token per call: nothing long-lived to leak, and the key may rotate.
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
            LocalTokens.Issue(auth, Subject, [Roles.Dispatcher], TimeSpan.FromMinutes(5)));
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<T>(Json, ct);
    }
}
