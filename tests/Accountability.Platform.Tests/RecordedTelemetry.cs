using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Platform.Tests;

/// <summary>A finished span as a service wrote it to its span file (Telemetry:SpanFile).</summary>
public sealed record Span(
    string Service, string TraceId, string SpanId, string? ParentSpanId, string Name, string Kind, string Source,
    IReadOnlyDictionary<string, string?> Tags, IReadOnlyList<string> LinkedTraceIds)
{
    public string? Tag(string key) => Tags.GetValueOrDefault(key);

    public Guid? CaseId => Guid.TryParse(Tag("accountability.case_id"), out var id) ? id : null;

    public string? Step => Tag("accountability.step");

    public string? OwnerKind => Tag("accountability.owner.kind");

    public string? OwnerId => Tag("accountability.owner.id");
}

/// <summary>A metric as a service wrote it to its metric file (Telemetry:MetricFile) at one collection.</summary>
public sealed record MetricPoints(string Service, string Name, string Meter, IReadOnlyList<(IReadOnlyDictionary<string, string?> Tags, double Value)> Points);

/// <summary>Reading what the five services recorded, and the one request that makes them record it.</summary>
public static class RecordedTelemetry
{
    public static List<Span> ReadSpans(this FiveServices services)
    {
        var spans = new List<Span>();
        foreach (var name in FiveServices.Names)
        {
            foreach (var span in ReadLines(services.SpanFileOf(name)))
            {
                var tags = span.GetProperty("tags").EnumerateObject()
                    .ToDictionary(t => t.Name, t => t.Value.ValueKind == JsonValueKind.String ? t.Value.GetString() : null);
                spans.Add(new Span(
                    name,
                    span.GetProperty("traceId").GetString()!,
                    span.GetProperty("spanId").GetString()!,
                    span.GetProperty("parentSpanId").GetString(),
                    span.GetProperty("name").GetString()!,
                    span.GetProperty("kind").GetString()!,
                    span.GetProperty("source").GetString()!,
                    tags,
                    span.GetProperty("links").EnumerateArray().Select(l => l.GetProperty("traceId").GetString()!).ToList()));
            }
        }
        return spans;
    }

    public static List<MetricPoints> ReadMetrics(this FiveServices services, string name) =>
        ReadLines(services.MetricFileOf(name)).Select(metric => new MetricPoints(
            name,
            metric.GetProperty("name").GetString()!,
            metric.GetProperty("meter").GetString()!,
            metric.GetProperty("points").EnumerateArray().Select(point => (
                (IReadOnlyDictionary<string, string?>)point.GetProperty("tags").EnumerateObject().ToDictionary(t => t.Name, t => t.Value.GetString()),
                point.GetProperty("value").ValueKind == JsonValueKind.Number ? point.GetProperty("value").GetDouble() : double.NaN)).ToList()))
            .ToList();

    /// <summary>An intake clerk files an anonymous complaint; its case id.</summary>
    public static async Task<Guid> FileComplaintAsync(this FiveServices services)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/complaints")
        {
            Content = JsonContent.Create(new
            {
                category = "force",
                narrative = "Pushed against a wall during a stop.",
                channel = "phone",
                district = "2",
                complainant = new { anonymous = true },
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For("p-1007", Roles.IntakeClerk));
        using var response = await services["Intake"].Client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("caseId").GetGuid();
    }

    private static IEnumerable<JsonElement> ReadLines(string file)
    {
        if (!File.Exists(file))
            yield break;
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.EndsWith('}'))
                yield return JsonDocument.Parse(line).RootElement.Clone(); // a line without its end is still being written
        }
    }
}
