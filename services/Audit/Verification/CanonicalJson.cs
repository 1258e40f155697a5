using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
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
/// It writes UTF-8 straight from the parsed document's own bytes: verify hashes every record of the
/// trail, and decoding each key and string to .NET strings and back was most of its cost.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonDocumentOptions StrictParsing = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 128,
    };

    /// <summary>The longest run of digits that always fits System.Decimal, so that it is already in canonical form.</summary>
    private const int PlainIntegerDigits = 28;

    public static string Canonicalize(string json)
    {
        using var document = JsonDocument.Parse(json, StrictParsing);
        var output = new ArrayBufferWriter<byte>(json.Length + 16);
        Write(document.RootElement, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    public static void Write(JsonElement element, IBufferWriter<byte> output)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(element, output);
                break;
            case JsonValueKind.Array:
                output.Write("["u8);
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                        output.Write(","u8);
                    first = false;
                    Write(item, output);
                }
                output.Write("]"u8);
                break;
            case JsonValueKind.String:
                // Without a backslash the source text holds no escape, and JSON forbids raw quotes and control
                // characters inside a string, so the text between the quotes is already canonical.
                var raw = JsonMarshal.GetRawUtf8Value(element);
                if (raw.IndexOf((byte)'\\') < 0)
                    output.Write(raw);
                else
                    WriteString(element.GetString()!, output);
                break;
            case JsonValueKind.Number:
                WriteNumber(JsonMarshal.GetRawUtf8Value(element), output);
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            case JsonValueKind.Null:
                output.Write("null"u8);
                break;
            default:
                throw new FormatException($"Unexpected JSON value kind {element.ValueKind}.");
        }
    }

    private static void WriteObject(JsonElement element, IBufferWriter<byte> output)
    {
        var count = element.GetPropertyCount();
        var rented = ArrayPool<Key>.Shared.Rent(count);
        try
        {
            var keys = rented.AsSpan(0, count);
            var n = 0;
            foreach (var property in element.EnumerateObject())
                keys[n++] = new Key(property, IsPlainAscii(JsonMarshal.GetRawUtf8PropertyName(property)));
            keys.Sort(Key.Compare);
            output.Write("{"u8);
            for (var i = 0; i < keys.Length; i++)
            {
                if (i > 0)
                {
                    if (Key.Compare(keys[i], keys[i - 1]) == 0)
                        throw new FormatException($"Duplicate key \"{keys[i].Property.Name}\": a record with duplicate keys has no canonical form.");
                    output.Write(","u8);
                }
                if (keys[i].Plain)
                {
                    output.Write("\""u8);
                    output.Write(JsonMarshal.GetRawUtf8PropertyName(keys[i].Property));
                    output.Write("\""u8);
                }
                else
                {
                    WriteString(keys[i].Property.Name, output);
                }
                output.Write(":"u8);
                Write(keys[i].Property.Value, output);
            }
            output.Write("}"u8);
        }
        finally
        {
            ArrayPool<Key>.Shared.Return(rented, clearArray: true);
        }
    }

    private static bool IsPlainAscii(ReadOnlySpan<byte> name) => System.Text.Ascii.IsValid(name) && name.IndexOf((byte)'\\') < 0;

    /// <summary>A property and whether its name is plain ASCII without escapes, as the source wrote it.</summary>
    private readonly record struct Key(JsonProperty Property, bool Plain)
    {
        /// <summary>Ordinal UTF-16 order. For plain ASCII names that is the order of their bytes, read without decoding.</summary>
        public static int Compare(Key a, Key b) =>
            a.Plain && b.Plain
                ? JsonMarshal.GetRawUtf8PropertyName(a.Property).SequenceCompareTo(JsonMarshal.GetRawUtf8PropertyName(b.Property))
                : string.CompareOrdinal(a.Property.Name, b.Property.Name);
    }

    public static void WriteString(string value, IBufferWriter<byte> output)
    {
        output.Write("\""u8);
        var plain = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c >= 0x20 && c != '"' && c != '\\')
                continue;
            WriteUtf8(value.AsSpan(plain, i - plain), output);
            plain = i + 1;
            switch (c)
            {
                case '"': output.Write("\\\""u8); break;
                case '\\': output.Write("\\\\"u8); break;
                case '\b': output.Write("\\b"u8); break;
                case '\f': output.Write("\\f"u8); break;
                case '\n': output.Write("\\n"u8); break;
                case '\r': output.Write("\\r"u8); break;
                case '\t': output.Write("\\t"u8); break;
                default:
                    output.Write("\\u00"u8);
                    var hex = output.GetSpan(2);
                    hex[0] = (byte)"0123456789abcdef"[c >> 4];
                    hex[1] = (byte)"0123456789abcdef"[c & 0xF];
                    output.Advance(2);
                    break;
            }
        }
        WriteUtf8(value.AsSpan(plain), output);
        output.Write("\""u8);
    }

    /// <summary>The same escaping, for text that is built as a string (exports, the checkpoint payload).</summary>
    public static void WriteString(string value, StringBuilder output)
    {
        var utf8 = new ArrayBufferWriter<byte>(value.Length + 8);
        WriteString(value, utf8);
        output.Append(Encoding.UTF8.GetString(utf8.WrittenSpan));
    }

    private static void WriteUtf8(ReadOnlySpan<char> text, IBufferWriter<byte> output)
    {
        if (text.IsEmpty)
            return;
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static void WriteNumber(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        // JSON has no leading zeros, so a short integer other than -0 is its own canonical form.
        var digits = raw.Length > 0 && raw[0] == '-' ? raw[1..] : raw;
        if (digits.Length is > 0 and <= PlainIntegerDigits && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9') && !(raw[0] == '-' && digits is [(byte)'0']))
        {
            output.Write(raw);
            return;
        }
        WriteUtf8(Number(Encoding.UTF8.GetString(raw)), output);
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
