using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Accountability.Intake.Tests;

/// <summary>
/// The GeoReport v2 response shapes (http://wiki.open311.org/GeoReport_v2), written as structural
/// assertions over JsonDocument: field names, JSON types, required fields, value sets and ISO 8601
/// timestamps with a zone. (No JSON Schema package is pinned centrally.)
/// </summary>
public static partial class Open311Schema
{
    public static void Discovery(JsonElement root)
    {
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Timestamp(root, "changeset", required: true);
        Text(root, "contact", required: true);
        Text(root, "key_service", required: true);
        var endpoints = Array(root, "endpoints");
        Assert.NotEmpty(endpoints);
        foreach (var endpoint in endpoints)
        {
            Text(endpoint, "specification", required: true);
            Assert.True(Uri.IsWellFormedUriString(Text(endpoint, "url", required: true), UriKind.Absolute));
            Timestamp(endpoint, "changeset", required: true);
            Assert.Contains(Text(endpoint, "type", required: true), new[] { "production", "test" });
            Assert.All(Array(endpoint, "formats"), f => Assert.Contains(f.GetString(), new[] { "application/json", "text/xml" }));
        }
    }

    public static void ServiceList(JsonElement root)
    {
        Assert.Equal(JsonValueKind.Array, root.ValueKind);
        foreach (var service in root.EnumerateArray())
        {
            Text(service, "service_code", required: true);
            Text(service, "service_name", required: true);
            Text(service, "description", required: false);
            Assert.Contains(service.GetProperty("metadata").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
            Assert.Contains(Text(service, "type", required: true), new[] { "realtime", "batch", "blackbox" });
            Text(service, "keywords", required: false);
            Text(service, "group", required: false);
        }
    }

    public static void ServiceDefinition(JsonElement root)
    {
        Text(root, "service_code", required: true);
        foreach (var attribute in Array(root, "attributes"))
        {
            Assert.Contains(attribute.GetProperty("variable").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
            Text(attribute, "code", required: true);
            var datatype = Text(attribute, "datatype", required: true)!;
            Assert.Contains(datatype, new[] { "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist" });
            Assert.Contains(attribute.GetProperty("required").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
            Text(attribute, "datatype_description", required: false);
            Assert.Equal(JsonValueKind.Number, attribute.GetProperty("order").ValueKind);
            Text(attribute, "description", required: true);
            if (datatype.EndsWith("valuelist", StringComparison.Ordinal))
                Assert.All(Array(attribute, "values"), value =>
                {
                    Text(value, "key", required: true);
                    Text(value, "name", required: true);
                });
        }
    }

    public static void PostResponse(JsonElement root)
    {
        var items = root.EnumerateArray().ToList();
        Assert.Single(items);
        var item = items[0];
        // The spec returns either the id at once, or a token to look it up later.
        Assert.True(Text(item, "service_request_id", required: false) is not null || Text(item, "token", required: false) is not null);
        Text(item, "service_notice", required: false);
        Text(item, "account_id", required: false);
    }

    public static void ServiceRequests(JsonElement root)
    {
        Assert.Equal(JsonValueKind.Array, root.ValueKind);
        foreach (var request in root.EnumerateArray())
        {
            Text(request, "service_request_id", required: true);
            Assert.Contains(Text(request, "status", required: true), new[] { "open", "closed" });
            Text(request, "status_notes", required: false);
            Text(request, "service_name", required: false);
            Text(request, "service_code", required: true);
            Text(request, "description", required: false);
            Text(request, "agency_responsible", required: false);
            Text(request, "service_notice", required: false);
            Timestamp(request, "requested_datetime", required: true);
            Timestamp(request, "updated_datetime", required: false);
            Timestamp(request, "expected_datetime", required: false);
            Text(request, "address", required: false);
            Text(request, "address_id", required: false);
            Text(request, "zipcode", required: false);
            Number(request, "lat");
            Number(request, "long");
            Text(request, "media_url", required: false);
        }
    }

    public static void Errors(JsonElement root, int expectedCode)
    {
        Assert.Equal(JsonValueKind.Array, root.ValueKind);
        Assert.NotEmpty(root.EnumerateArray());
        foreach (var error in root.EnumerateArray())
        {
            Assert.Equal(expectedCode, error.GetProperty("code").GetInt32());
            Assert.False(string.IsNullOrWhiteSpace(Text(error, "description", required: true)));
        }
    }

    private static string? Text(JsonElement parent, string name, bool required)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Assert.False(required, $"'{name}' is required");
            return null;
        }
        Assert.True(value.ValueKind == JsonValueKind.String, $"'{name}' is a string, not {value.ValueKind}");
        return value.GetString();
    }

    private static void Number(JsonElement parent, string name)
    {
        if (parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
            Assert.True(value.ValueKind == JsonValueKind.Number, $"'{name}' is a number, not {value.ValueKind}");
    }

    private static void Timestamp(JsonElement parent, string name, bool required)
    {
        if (Text(parent, name, required) is not { } text)
            return;
        Assert.Matches(ZonedIso8601(), text);
        Assert.True(DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _), $"'{name}' parses: {text}");
    }

    private static List<JsonElement> Array(JsonElement parent, string name)
    {
        var value = parent.GetProperty(name);
        Assert.Equal(JsonValueKind.Array, value.ValueKind);
        return value.EnumerateArray().ToList();
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex ZonedIso8601();
}
