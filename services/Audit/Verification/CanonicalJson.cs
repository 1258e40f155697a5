using System.Buffers;
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
/// It reads the UTF-8 text with a Utf8JsonReader and copies keys, strings and short integers as written
/// whenever they are already canonical, with no document in between: verify hashes every record of the
/// trail, and building a document and decoding each key and string to .NET strings was most of its cost.
/// </summary>
public static class CanonicalJson
{
    /// <summary>The longest run of digits that always fits System.Decimal, so that it is already in canonical form.</summary>
    private const int PlainIntegerDigits = 28;

    /// <summary>Refuses text that is not valid UTF-16 (a lone surrogate) instead of hashing a replacement character.</summary>
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly JsonReaderOptions ReaderOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 128,
    };

    /// <summary>The canonical form of JSON text given as a string.</summary>
    public static string Canonicalize(string json) => Encoding.UTF8.GetString(Canonicalize(StrictUtf8.GetBytes(json)));

    /// <summary>The canonical form of UTF-8 JSON text, as UTF-8.</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json)
    {
        var output = new ArrayBufferWriter<byte>(utf8Json.Length + 16);
        Write(utf8Json, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>The canonical form of UTF-8 JSON text (valid UTF-8, as PostgreSQL and System.Text.Json give it).</summary>
    public static void Write(ReadOnlySpan<byte> utf8Json, ArrayBufferWriter<byte> output)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        if (!reader.Read())
            throw new JsonException("Empty JSON text has no canonical form.");
        WriteValue(ref reader, utf8Json, output);
        if (reader.Read())
            throw new JsonException("Text after the JSON value."); // the reader itself refuses most of it first
    }

    /// <summary>Writes the value the reader stands on, and leaves the reader on its last token.</summary>
    private static void WriteValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, ArrayBufferWriter<byte> output)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WriteObject(ref reader, source, output);
                break;
            case JsonTokenType.StartArray:
                output.Write("["u8);
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!first)
                        output.Write(","u8);
                    first = false;
                    WriteValue(ref reader, source, output);
                }
                output.Write("]"u8);
                break;
            case JsonTokenType.String:
                // Unescaped, the text between the quotes is already canonical: JSON forbids raw quotes and control characters there.
                if (reader.ValueIsEscaped)
                {
                    WriteString(reader.GetString()!, output);
                }
                else
                {
                    output.Write("\""u8);
                    output.Write(reader.ValueSpan);
                    output.Write("\""u8);
                }
                break;
            case JsonTokenType.Number:
                WriteNumber(reader.ValueSpan, output);
                break;
            case JsonTokenType.True:
                output.Write("true"u8);
                break;
            case JsonTokenType.False:
                output.Write("false"u8);
                break;
            case JsonTokenType.Null:
                output.Write("null"u8);
                break;
            default:
                throw new FormatException($"Unexpected JSON token {reader.TokenType}.");
        }
    }

    /// <summary>
    /// One pass notes where each member's name and value lie (skipping over nested values); then the members are
    /// written in key order, each value read again from its own slice.
    /// </summary>
    private static void WriteObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> source, ArrayBufferWriter<byte> output)
    {
        var members = ArrayPool<Member>.Shared.Rent(16);
        var count = 0;
        try
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var nameStart = (int)reader.TokenStartIndex + 1;
                var nameLength = reader.ValueSpan.Length;
                var escapedName = reader.ValueIsEscaped ? reader.GetString() : null;
                var plain = escapedName is null && System.Text.Ascii.IsValid(reader.ValueSpan);
                reader.Read();
                var valueStart = (int)reader.TokenStartIndex;
                reader.Skip();
                if (count == members.Length)
                {
                    var larger = ArrayPool<Member>.Shared.Rent(count * 2);
                    members.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<Member>.Shared.Return(members, clearArray: true);
                    members = larger;
                }
                members[count++] = new Member(nameStart, nameLength, plain, escapedName, valueStart, (int)reader.BytesConsumed);
            }

            var sorted = members.AsSpan(0, count);
            if (sorted.Length > 1)
            {
                // Names are compared where they lie, which a comparison delegate cannot reach: insertion sort, or
                // for a large object the names as strings.
                if (sorted.Length <= 32)
                    InsertionSort(sorted, source);
                else
                    SortByNameStrings(sorted, source);
            }

            output.Write("{"u8);
            for (var i = 0; i < sorted.Length; i++)
            {
                if (i > 0)
                {
                    if (Compare(sorted[i], sorted[i - 1], source) == 0)
                        throw new FormatException($"Duplicate key \"{sorted[i].Name(source)}\": a record with duplicate keys has no canonical form.");
                    output.Write(","u8);
                }
                if (sorted[i].Plain)
                {
                    output.Write("\""u8);
                    output.Write(source.Slice(sorted[i].NameStart, sorted[i].NameLength));
                    output.Write("\""u8);
                }
                else
                {
                    WriteString(sorted[i].Name(source), output);
                }
                output.Write(":"u8);
                var valueText = source[sorted[i].ValueStart..sorted[i].ValueEnd];
                var value = new Utf8JsonReader(valueText, ReaderOptions);
                value.Read();
                WriteValue(ref value, valueText, output);
            }
            output.Write("}"u8);
        }
        finally
        {
            ArrayPool<Member>.Shared.Return(members, clearArray: true);
        }
    }

    /// <summary>Where one member of an object lies in the source; <see cref="EscapedName"/> is its decoded name when the source escaped it.</summary>
    private readonly record struct Member(int NameStart, int NameLength, bool Plain, string? EscapedName, int ValueStart, int ValueEnd)
    {
        public string Name(ReadOnlySpan<byte> source) => EscapedName ?? Encoding.UTF8.GetString(source.Slice(NameStart, NameLength));
    }

    /// <summary>Ordinal UTF-16 order. For plain ASCII names that is the order of their bytes, compared without decoding.</summary>
    private static int Compare(Member a, Member b, ReadOnlySpan<byte> source) =>
        a.Plain && b.Plain
            ? source.Slice(a.NameStart, a.NameLength).SequenceCompareTo(source.Slice(b.NameStart, b.NameLength))
            : string.CompareOrdinal(a.Name(source), b.Name(source));

    private static void InsertionSort(Span<Member> members, ReadOnlySpan<byte> source)
    {
        for (var i = 1; i < members.Length; i++)
        {
            var current = members[i];
            var j = i - 1;
            for (; j >= 0 && Compare(members[j], current, source) > 0; j--)
                members[j + 1] = members[j];
            members[j + 1] = current;
        }
    }

    private static void SortByNameStrings(Span<Member> members, ReadOnlySpan<byte> source)
    {
        var names = new string[members.Length];
        for (var i = 0; i < members.Length; i++)
            names[i] = members[i].Name(source);
        names.AsSpan().Sort(members, string.CompareOrdinal);
    }

    public static void WriteString(string value, ArrayBufferWriter<byte> output)
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

    private static void WriteUtf8(ReadOnlySpan<char> text, ArrayBufferWriter<byte> output)
    {
        if (text.IsEmpty)
            return;
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    private static void WriteNumber(ReadOnlySpan<byte> raw, ArrayBufferWriter<byte> output)
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
    private static string Number(string raw)
    {
        if (decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return value == 0m ? "0" : value.ToString("0.############################", CultureInfo.InvariantCulture);
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var wide) && double.IsFinite(wide))
            return wide.ToString("R", CultureInfo.InvariantCulture);
        throw new FormatException($"'{raw}' is not a finite JSON number.");
    }
}
