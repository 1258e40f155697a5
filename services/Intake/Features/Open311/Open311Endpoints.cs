using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Accountability.Intake.Features.FileComplaint;
using Accountability.ServiceDefaults.Http;
using Microsoft.Extensions.Options;

namespace Accountability.Intake.Features.Open311;

/// <summary>
/// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) at /open311/v2/. A posted service
/// request becomes a complaint through <see cref="ComplaintSubmission"/>, the same path as the clerk endpoint.
/// </summary>
public static class Open311Endpoints
{
    public const string Prefix = "/open311/v2";

    public static IEndpointRouteBuilder MapOpen311(this IEndpointRouteBuilder endpoints)
    {
        var open311 = endpoints.MapGroup(Prefix).AllowAnonymous();
        open311.MapGet("/discovery.{format}", (string format, HttpRequest request) =>
            !Open311Format.IsKnown(format) ? NotFound(format) : Open311Format.Reply(format, "discovery", Discovery(request)));
        open311.MapGet("/services.{format}", (string format) =>
            !Open311Format.IsKnown(format) ? NotFound(format) : Open311Format.Reply(format, "services", Open311Catalogue.ServiceList()));
        open311.MapGet("/services/{serviceCode}.{format}", (string serviceCode, string format) =>
            !Open311Format.IsKnown(format) ? NotFound(format)
            : !Open311Catalogue.IsService(serviceCode) ? Open311Format.Error(format, StatusCodes.Status404NotFound, $"service_code: no service '{Truncate(serviceCode)}'.")
            : Open311Format.Reply(format, "service_definition", Open311Catalogue.Definition(serviceCode)));
        open311.MapPost("/requests.{format}", PostRequestAsync);
        // Anonymous callers read these: limited per address like the status look-up, so the list cannot be scraped.
        open311.MapGet("/requests.{format}", GetRequestsAsync).RequireClientRateLimit(PublicStatus.PublicStatusEndpoints.PublicStatusRateLimit);
        open311.MapGet("/requests/{id}.{format}", GetRequestAsync).RequireClientRateLimit(PublicStatus.PublicStatusEndpoints.PublicStatusRateLimit);
        // Anything else under /open311 is a 404 in the spec's format, not the API's problem+json.
        endpoints.Map($"{Prefix}/{{**rest}}", (HttpRequest request) =>
            Open311Format.Error(Open311Format.FromPath(request.Path), StatusCodes.Status404NotFound, "No such Open311 resource."));
        return endpoints;
    }

    private static IResult NotFound(string format) =>
        Open311Format.Error(Open311Format.Json, StatusCodes.Status404NotFound, $"Unsupported format '{Truncate(format)}'; use json or xml.");

    private static JsonObject Discovery(HttpRequest request)
    {
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<Open311Options>>().Value;
        const string changeset = "2025-01-01T00:00:00+00:00";
        return new JsonObject
        {
            ["changeset"] = changeset,
            ["contact"] = options.Contact,
            ["key_service"] = options.KeyService,
            ["endpoints"] = new JsonArray(new JsonObject
            {
                ["specification"] = "http://wiki.open311.org/GeoReport_v2",
                ["url"] = $"{request.Scheme}://{request.Host}{Prefix}",
                ["changeset"] = changeset,
                ["type"] = "production",
                ["formats"] = new JsonArray("application/json", "text/xml"),
            }),
        };
    }

    private static async Task<IResult> PostRequestAsync(
        string format, HttpRequest request, ComplaintSubmission submission, IOptions<Open311Options> options, CancellationToken cancellationToken)
    {
        if (!Open311Format.IsKnown(format))
            return NotFound(format);
        var form = await StrictFormReader.ReadAsync(request, cancellationToken);
        if (form.Fields is not { } fields)
            return Open311Format.Error(format, form.StatusCode, form.Error!);

        if (MatchingApiKey(fields.GetValueOrDefault("api_key"), options.Value) is not { } apiKeyId)
            return Open311Format.Error(format, StatusCodes.Status403Forbidden, "api_key: missing or not valid.");

        var (complaint, formErrors) = Open311RequestForm.ToComplaintRequest(fields);
        if (formErrors.Count > 0)
            return Open311Format.Error(format, StatusCodes.Status400BadRequest, [.. formErrors]);

        var key = request.Headers[ComplaintSubmission.IdempotencyKeyHeader].ToString();
        var result = await submission.SubmitAsync(complaint, FilingRules.Open311,
            new FilingCaller(FilingCaller.Open311Actor, $"open311:{apiKeyId}"), key.Length == 0 ? null : key, cancellationToken);
        if (result.Errors is { Count: > 0 } errors)
            return Open311Format.Error(format, StatusCodes.Status400BadRequest,
                [.. errors.SelectMany(e => e.Value.Select(message => $"{Open311RequestForm.FieldName(e.Key)}: {message}"))]);
        if (result.KeyReusedWithDifferentBody)
            return Open311Format.Error(format, StatusCodes.Status409Conflict, "Idempotency-Key: already used for a different request.");

        var receipt = result.Receipt!;
        return Open311Format.Reply(format, "service_requests", new JsonArray(new JsonObject
        {
            ["service_request_id"] = receipt.CaseId.ToString(),
            ["service_notice"] = $"Tracking code {receipt.TrackingCode}: the complainant can follow the complaint at {receipt.StatusUrl}.",
            ["account_id"] = null,
        }));
    }

    private static async Task<IResult> GetRequestsAsync(
        string format, HttpRequest request, Open311Requests requests, IOptions<Open311Options> options, CancellationToken cancellationToken)
    {
        if (!Open311Format.IsKnown(format))
            return NotFound(format);
        var query = request.Query;
        var errors = new List<string>();
        Open311Requests.Filter filter;
        if (query["service_request_id"].ToString() is { Length: > 0 } idList)
        {
            // The spec: a list of ids overrides every other filter. Ids that are not ours simply match nothing.
            var ids = idList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(id => Guid.TryParse(id, out var guid) ? guid : Guid.Empty).Distinct().Take(Open311Requests.MaxResults).ToList();
            filter = new Open311Requests.Filter { Ids = ids };
        }
        else
        {
            var codes = query["service_code"].ToString() is { Length: > 0 } codeList
                ? codeList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList()
                : null;
            if (codes?.FirstOrDefault(c => !Open311Catalogue.IsService(c)) is { } unknown)
                errors.Add($"service_code: no service '{Truncate(unknown)}'.");
            var start = ParseDate(query["start_date"], "start_date", errors);
            var end = ParseDate(query["end_date"], "end_date", errors);
            bool? closed = null;
            if (query["status"].ToString() is { Length: > 0 } statusList)
            {
                var statuses = statusList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
                if (statuses.Any(s => s is not ("open" or "closed")))
                    errors.Add("status: use open, closed or both, comma-separated.");
                else if (statuses.Count == 1)
                    closed = statuses.Contains("closed");
            }
            if (start is not null && end is not null && start > end)
                errors.Add("start_date: must not be after end_date.");
            if (errors.Count > 0)
                return Open311Format.Error(format, StatusCodes.Status400BadRequest, [.. errors]);
            // The spec's default window: the last 90 days, or 90 days either side of whichever bound was given.
            if (start is null && end is null)
                start = DateTimeOffset.UtcNow - Open311Requests.DefaultWindow;
            else if (start is null)
                start = end - Open311Requests.DefaultWindow;
            else
                end ??= start + Open311Requests.DefaultWindow;
            filter = new Open311Requests.Filter { ServiceCodes = codes, Start = start, End = end, Closed = closed };
        }
        var withDetails = MatchingApiKey(query["api_key"], options.Value) is not null;
        return Open311Format.Reply(format, "service_requests", await requests.FindAsync(filter, withDetails, cancellationToken));
    }

    private static async Task<IResult> GetRequestAsync(
        string id, string format, HttpRequest request, Open311Requests requests, IOptions<Open311Options> options, CancellationToken cancellationToken)
    {
        if (!Open311Format.IsKnown(format))
            return NotFound(format);
        var found = Guid.TryParse(id, out var caseId)
            ? await requests.FindAsync(new Open311Requests.Filter { Ids = [caseId] },
                MatchingApiKey(request.Query["api_key"], options.Value) is not null, cancellationToken)
            : [];
        return found.Count == 0
            ? Open311Format.Error(format, StatusCodes.Status404NotFound, "service_request_id: no such service request.")
            : Open311Format.Reply(format, "service_requests", found);
    }

    private static DateTimeOffset? ParseDate(string? value, string name, List<string> errors)
    {
        if (string.IsNullOrEmpty(value))
            return null;
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            && parsed.UtcDateTime.Year is >= 1 and <= 9998)
            return parsed.ToUniversalTime();
        errors.Add($"{name}: must be a W3C (ISO 8601) date and time, e.g. 2025-03-01T00:00:00Z.");
        return null;
    }

    /// <summary>
    /// A short, stable id of the configured key that matches, or null. Every configured key is
    /// compared in constant time, so timing does not reveal how much of a guess was right.
    /// </summary>
    private static string? MatchingApiKey(string? given, Open311Options options)
    {
        if (string.IsNullOrEmpty(given))
            return null;
        var givenHash = SHA256.HashData(Encoding.UTF8.GetBytes(given));
        string? match = null;
        foreach (var key in options.ApiKeys.Where(k => !string.IsNullOrEmpty(k)))
        {
            var keyHash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
            if (CryptographicOperations.FixedTimeEquals(keyHash, givenHash))
                match = Convert.ToHexString(keyHash, 0, 8);
        }
        return match;
    }

    /// <summary>
    /// What an error may echo of the caller's input: at most 40 characters, with control characters
    /// (which XML cannot carry, and which have no business in a reply) shown as '?'.
    /// </summary>
    private static string Truncate(string value)
    {
        var shown = new string([.. (value.Length <= 40 ? value : value[..40]).Select(c => char.IsControl(c) || char.IsSurrogate(c) ? '?' : c)]);
        return value.Length <= 40 ? shown : shown + "…";
    }
}
