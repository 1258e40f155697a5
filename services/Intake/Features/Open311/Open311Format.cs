using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace Accountability.Intake.Features.Open311;

/// <summary>
/// Writes GeoReport v2 replies as JSON or XML from one JSON model, so both formats carry the same
/// data. Errors are the spec's list of {code, description}; never problem+json under /open311.
/// </summary>
public static class Open311Format
{
    public const string Json = "json";
    public const string Xml = "xml";

    /// <summary>The XML element of one item of each list, by the list's name.</summary>
    private static readonly Dictionary<string, string> ItemNames = new(StringComparer.Ordinal)
    {
        ["services"] = "service",
        ["service_requests"] = "request",
        ["errors"] = "error",
        ["attributes"] = "attribute",
        ["values"] = "value",
        ["endpoints"] = "endpoint",
        ["formats"] = "format",
    };

    public static bool IsKnown(string? format) => format is Json or Xml;

    /// <summary>The format of a path such as /open311/v2/services.xml; JSON when it names none.</summary>
    public static string FromPath(string path) => path.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) ? Xml : Json;

    public static IResult Reply(string format, string rootName, JsonNode body, int statusCode = StatusCodes.Status200OK) =>
        format == Xml
            ? Results.Text(XmlText(ToXml(rootName, body)), "text/xml; charset=utf-8", System.Text.Encoding.UTF8, statusCode)
            : Results.Text(body.ToJsonString(JsonOutput), "application/json; charset=utf-8", System.Text.Encoding.UTF8, statusCode);

    /// <summary>Not HTML: '+' in "+00:00" and the like stay readable instead of becoming \u002B.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions JsonOutput = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static string XmlText(XDocument document) => $"{document.Declaration}\n{document}";

    public static IResult Error(string format, int statusCode, params string[] descriptions) =>
        Reply(format, "errors", ErrorBody(statusCode, descriptions), statusCode);

    public static JsonArray ErrorBody(int statusCode, IEnumerable<string> descriptions) =>
        new([.. descriptions.Select(d => (JsonNode)new JsonObject { ["code"] = statusCode, ["description"] = d })]);

    public static XDocument ToXml(string rootName, JsonNode body) =>
        new(new XDeclaration("1.0", "utf-8", null), Element(rootName, body));

    private static XElement Element(string name, JsonNode? node) => node switch
    {
        JsonArray array => new XElement(name, array.Select(item => Element(ItemNames.GetValueOrDefault(name, "item"), item))),
        JsonObject obj => new XElement(name, obj.Select(property => Element(property.Key, property.Value))),
        null => new XElement(name),
        _ => new XElement(name, node.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString()),
    };
}
