using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Accountability.Audit.Verification;
using Xunit;

namespace Accountability.Audit.Tests.Rules;

/// <summary>
/// The canonical form is written as UTF-8 straight from the parsed document. Every stored hash was computed
/// with the earlier string-building writer, so the bytes must not move by one: checked against a hash computed
/// outside .NET, and against that earlier writer (kept here as the reference) on thousands of random documents.
/// </summary>
public sealed class CanonicalFormTests
{
    [Fact]
    public void A_record_hashes_to_the_value_computed_independently_of_this_code()
    {
        // Computed with Python: sha256(bytes(range(32)) + json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).
        var record = new AuditRecord(
            GlobalSeq: 42,
            EventId: Guid.Parse("11111111-2222-3333-4444-555555555555"),
            CaseId: Guid.Parse("0190f5c2-3b4a-7c1d-9e2f-0a1b2c3d4e5f"),
            CaseSeq: 7,
            Type: "CaseOpened",
            Source: "assignment",
            OccurredAt: DateTimeOffset.Parse("2026-03-03T15:05:00.123456+01:00", CultureInfo.InvariantCulture),
            RecordedAt: DateTimeOffset.Parse("2026-03-03T14:05:01.000001Z", CultureInfo.InvariantCulture),
            Body: Encoding.UTF8.GetBytes("{\"ä\": {\"z\": 0.00, \"y\": \"\\u65e5本\"}, \"b\": \"é\\n\\\"x\\\"\", \"a\": [1.0, true, null, -7]}"),
            TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            PrevHash: [.. Enumerable.Range(0, 32).Select(i => (byte)i)],
            CasePrevHash: [.. Enumerable.Repeat((byte)0xab, 32)],
            Hash: []);

        Assert.Equal(
            "{\"body\":{\"a\":[1,true,null,-7],\"b\":\"é\\n\\\"x\\\"\",\"ä\":{\"y\":\"日本\",\"z\":0}},\"caseId\":\"0190f5c2-3b4a-7c1d-9e2f-0a1b2c3d4e5f\","
            + "\"casePrevHash\":\"abababababababababababababababababababababababababababababababab\",\"caseSeq\":7,"
            + "\"eventId\":\"11111111-2222-3333-4444-555555555555\",\"occurredAt\":\"2026-03-03T14:05:00.123456Z\",\"recordedAt\":\"2026-03-03T14:05:01.000001Z\","
            + "\"source\":\"assignment\",\"traceparent\":\"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\",\"type\":\"CaseOpened\"}",
            ChainHash.CanonicalRecord(record));
        Assert.Equal("fcac9e2ab57ef0d7b389334283a2a5c4f345bb2c83583162ba8a7035473faa5c", ChainHash.Hex(ChainHash.Compute(record.PrevHash, record)));
        Assert.True(ChainHash.Matches(record with { Hash = ChainHash.Compute(record.PrevHash, record) }));
        Assert.False(ChainHash.Matches(record with { Hash = ChainHash.Compute(record.PrevHash, record with { Source = "Assignment" }) }));
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00.0000000Z")]
    [InlineData("2026-03-03T14:05:00.1234567Z")] // finer than PostgreSQL keeps: truncated, never rounded
    [InlineData("2026-12-31T23:59:59.9999999+05:30")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    public void Instants_of_any_precision_and_offset_are_hashed_as_UTC_with_six_truncated_digits(string text)
    {
        var instant = DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
        var expected = instant.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'", CultureInfo.InvariantCulture);
        var record = new AuditRecord(1, Guid.Empty, null, null, "CaseOpened", "assignment", instant, instant, "{}"u8.ToArray(), null, ChainHash.Genesis, null, []);

        Assert.Contains($"\"occurredAt\":\"{expected}\",\"recordedAt\":\"{expected}\"", ChainHash.CanonicalRecord(record), StringComparison.Ordinal);
    }

    [Fact]
    public void Random_documents_come_out_byte_for_byte_as_the_earlier_writer_wrote_them()
    {
        var random = new Random(20261203);
        for (var i = 0; i < 3000; i++)
        {
            var json = RandomValue(random, depth: 0);
            Assert.Equal(ReferenceWriter.Canonicalize(json), CanonicalJson.Canonicalize(json));
        }
    }

    [Theory]
    // A supplementary character sorts before U+E000 in UTF-16 (its high surrogate is U+D83D), though after it by code point.
    [InlineData("{\"\\ue000\":1,\"😀\":2,\"z\":3,\"Z\":4}", "{\"Z\":4,\"z\":3,\"😀\":2,\"\ue000\":1}")]
    [InlineData("{\"\\u0062\":1,\"a\":2}", "{\"a\":2,\"b\":1}")]
    [InlineData("[-0, 0, -12, 1234567890123456789012345678, 12345678901234567890123456789, 123456789012345678901234567890]",
        "[0,0,-12,1234567890123456789012345678,12345678901234567890123456789,1.2345678901234568E+29]")]
    [InlineData("\"a\\/b\\u0007\\u001f\\\\\"", "\"a/b\\u0007\\u001f\\\\\"")]
    public void Keys_sort_by_UTF_16_code_units_and_escapes_and_numbers_take_their_one_form(string input, string expected)
    {
        Assert.Equal(expected, CanonicalJson.Canonicalize(input));
        Assert.Equal(ReferenceWriter.Canonicalize(input), CanonicalJson.Canonicalize(input));
    }

    [Theory]
    [InlineData("{\"a\":1,\"\\u0061\":2}")]
    [InlineData("{\"é\":1,\"\\u00e9\":2}")]
    public void A_key_written_twice_is_refused_however_it_was_escaped(string input) =>
        Assert.Throws<FormatException>(() => CanonicalJson.Canonicalize(input));

    private static readonly string[] Keys =
        ["a", "b", "A", "caseId", "caseVersion", "actor", "é", "ä", "日本", "😀", "\ue000", "a b", "x\"y", "tab\t", "\u0001", "Z", "zz", "z"];

    private static readonly string[] Texts =
        ["", "plain", "é", "日本語", "😀 emoji", "quote \" and \\ backslash", "line\nbreak\r\ttab", "\u0001\u001f", "\ue000", "a/b", "<script>"];

    private static readonly string[] Numbers =
        ["0", "-0", "7", "-12", "1.50", "1.5E0", "15e-1", "0.000", "1e2", "-3.25e+2", "12345678901234567890", "1234567890123456789012345678",
         "12345678901234567890123456789", "123456789012345678901234567890", "1e300", "-1E-7", "0.1", "99.990"];

    /// <summary>JSON text with random spacing, key order and escapes: the forms jsonb and serialisers produce, and some they don't.</summary>
    private static string RandomValue(Random random, int depth)
    {
        var kind = depth >= 4 ? random.Next(3, 7) : random.Next(0, 7);
        switch (kind)
        {
            case 0 or 1:
                var keys = Keys.OrderBy(_ => random.Next()).Take(random.Next(0, 7)).ToList();
                return "{" + string.Join(Space(random) + "," + Space(random),
                    keys.Select(k => Quoted(k, random) + Space(random) + ":" + Space(random) + RandomValue(random, depth + 1))) + "}";
            case 2:
                return "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 5)).Select(_ => Space(random) + RandomValue(random, depth + 1))) + "]";
            case 3 or 4:
                return Quoted(Texts[random.Next(Texts.Length)], random);
            case 5:
                return Numbers[random.Next(Numbers.Length)];
            default:
                return random.Next(3) switch { 0 => "true", 1 => "false", _ => "null" };
        }
    }

    private static string Space(Random random) => random.Next(4) == 0 ? " " : "";

    /// <summary>A JSON string literal, escaping every character it may and some it need not (\u0065, \/).</summary>
    private static string Quoted(string text, Random random)
    {
        var output = new StringBuilder("\"");
        var escapePair = false;
        foreach (var c in text)
        {
            // A surrogate pair is escaped whole or not at all: half of one escaped leaves invalid UTF-16 text.
            var escape = char.IsLowSurrogate(c) ? escapePair : c is '"' or '\\' || c < 0x20 || random.Next(6) == 0;
            escapePair = char.IsHighSurrogate(c) && escape;
            if (escape)
                output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else if (c == '/' && random.Next(2) == 0)
                output.Append("\\/");
            else
                output.Append(c);
        }
        return output.Append('"').ToString();
    }

    /// <summary>The writer every stored hash was computed with until December 2026: .NET strings, then UTF-8.</summary>
    private static class ReferenceWriter
    {
        public static string Canonicalize(string json)
        {
            using var document = JsonDocument.Parse(json);
            var output = new StringBuilder();
            Write(document.RootElement, output);
            return output.ToString();
        }

        private static void Write(JsonElement element, StringBuilder output)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var properties = element.EnumerateObject().ToList();
                    properties.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                    output.Append('{');
                    for (var i = 0; i < properties.Count; i++)
                    {
                        if (i > 0 && properties[i].Name == properties[i - 1].Name)
                            throw new FormatException("duplicate key");
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
                    var raw = element.GetRawText();
                    output.Append(decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                        ? value == 0m ? "0" : value.ToString("0.############################", CultureInfo.InvariantCulture)
                        : double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture));
                    break;
                default:
                    output.Append(element.ValueKind switch { JsonValueKind.True => "true", JsonValueKind.False => "false", _ => "null" });
                    break;
            }
        }

        private static void WriteString(string value, StringBuilder output)
        {
            output.Append('"');
            foreach (var c in value)
            {
                output.Append(c switch
                {
                    '"' => "\\\"",
                    '\\' => "\\\\",
                    '\b' => "\\b",
                    '\f' => "\\f",
                    '\n' => "\\n",
                    '\r' => "\\r",
                    '\t' => "\\t",
                    < (char)0x20 => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                    _ => c.ToString(),
                });
            }
            output.Append('"');
        }
    }
}
