using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Accountability.Audit.Verification;

/// <summary>
/// The one byte form of a JSON value that every hash and signature in the trail is computed over,
/// so that re-serialising a record (PostgreSQL jsonb reorders keys and drops whitespace) never
/// changes its hash. The rules, also in docs/audit.md:
/// <list type="bullet">
/// <item>objects: keys sorted by ordinal UTF-16 code units, no duplicates, no whitespace anywhere;</item>
/// <item>strings: UTF-8; only <c>"</c>, <c>\</c> and control characters below U+0020 are escaped
/// (<c>\b \f \n \r \t</c>, else <c>\u00xx</c> in lower-case hex); everything else is literal;</item>
/// <item>numbers: the plain decimal form with no exponent, no trailing fractional zeros and no
/// "-0" when the value fits System.Decimal; otherwise the shortest round-trip IEEE double form;</item>
/// <item><c>true</c>, <c>false</c>, <c>null</c> as such.</item>
/// </list>
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonDocumentOptions StrictParsing = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 128,
    };

    public static string Canonicalize(string json)
    {
        using var document = JsonDocument.Parse(json, StrictParsing);
        var output = new StringBuilder(json.Length);
        Write(document.RootElement, output);
        return output.ToString();
    }

    public static void Write(JsonElement element, StringBuilder output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new List<JsonProperty>();
                foreach (var property in element.EnumerateObject())
                    properties.Add(property);
                properties.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                output.Append('{');
                for (var i = 0; i < properties.Count; i++)
                {
                    if (i > 0 && properties[i].Name == properties[i - 1].Name)
                        throw new FormatException($"Duplicate key \"{properties[i].Name}\": a record with duplicate keys has no canonical form.");
                    if (i > 0)
                        output.Append(',');
                    WriteString(properties[i].Name, output);
                    output.Append(':');
                    Write(properties[i].Value, output);
                }
                output.Append('}');
                break;
            case JsonValueKind.Array:
                output.Append('[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                        output.Append(',');
                    first = false;
                    Write(item, output);
                }
                output.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                output.Append(Number(element.GetRawText()));
                break;
            case JsonValueKind.True:
                output.Append("true");
                break;
            case JsonValueKind.False:
                output.Append("false");
                break;
            case JsonValueKind.Null:
                output.Append("null");
                break;
            default:
                throw new FormatException($"Unexpected JSON value kind {element.ValueKind}.");
        }
    }

    public static void WriteString(string value, StringBuilder output)
    {
        output.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                default:
                    if (c < 0x20)
                        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        output.Append(c);
                    break;
            }
        }
        output.Append('"');
    }

    /// <summary>1.50, 1.5E0 and 15e-1 are all "1.5"; -0 is "0"; 1e300 (beyond decimal) is "1E+300".</summary>
    public static string Number(string raw)
    {
        if (decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return value == 0m ? "0" : value.ToString("0.############################", CultureInfo.InvariantCulture);
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var wide) && double.IsFinite(wide))
            return wide.ToString("R", CultureInfo.InvariantCulture);
        throw new FormatException($"'{raw}' is not a finite JSON number.");
    }
}
