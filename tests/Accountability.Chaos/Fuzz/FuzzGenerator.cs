using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Accountability.Chaos.Fuzz;

/// <summary>
/// Generates malformed requests against intake (staff JSON, public JSON, Open311 form and reads) and
/// assignment (every write endpoint, the directory, the queries). Request i depends only on (seed, i),
/// so any finding is reproduced from the two numbers the report prints.
///
/// Every request carries one primary defect (<see cref="FuzzRequest.Breaker"/>) chosen so that a correct
/// service must refuse it, whatever else the request says; noise (odd keys, control characters, invalid
/// UTF-8 in other fields, garbage query strings) is added on top to shake the parsers.
/// </summary>
public sealed class FuzzGenerator(int seed, FuzzContext context)
{
    private static readonly string[] Categories = ["force", "abuse-of-authority", "discourtesy", "offensive-language", "lack-of-service", "misconduct", "other"];
    private static readonly string[] AssignmentWrites = ["handoffs", "accept", "decline", "cancel", "acknowledge", "contacts", "findings", "resolve", "reopen", "reassign"];
    private static readonly string[] WrongContentTypes =
        ["text/plain", "application/xml", "multipart/form-data; boundary=xyz", "application/x-www-form-urlencoded", "application/jsonx", "image/png", "text/json-garbage", "*/*", ";;;", "application/"];

    public int Seed => seed;

    public FuzzRequest Generate(int index)
    {
        var random = new Random(unchecked(seed * 1_000_003 + index * 7919));
        var roll = random.Next(100);
        return roll switch
        {
            < 24 => IntakeJson(index, random, staff: true),
            < 38 => IntakeJson(index, random, staff: false),
            < 53 => Open311Post(index, random),
            < 60 => IntakeRead(index, random),
            < 88 => AssignmentWrite(index, random),
            < 92 => DirectoryPut(index, random),
            _ => AssignmentRead(index, random),
        };
    }

    // ------------------------------------------------------------------ intake JSON

    private FuzzRequest IntakeJson(int index, Random random, bool staff)
    {
        var body = ValidComplaint(random, staff);
        var noise = new List<string>();
        var headers = new List<KeyValuePair<string, string>>();
        string? contentType = "application/json";
        string breaker;
        var bytes = (byte[]?)null;

        // Noise that never repairs anything: applied to the object before the defect.
        AddJsonNoise(random, body, noise, ["category", "narrative", "channel", "district"]);
        if (staff)
            headers.Add(new("Idempotency-Key", random.Next(4) == 0 ? Garbage(random, random.Next(1, 300)) : Guid.NewGuid().ToString()));

        var kinds = staff ? 5 : 4;
        switch (random.Next(kinds))
        {
            case 0:
                breaker = "field:" + BreakComplaintField(random, body, staff);
                break;
            case 1:
                (bytes, breaker) = BreakSyntax(random, Encoding.UTF8.GetBytes(body.ToJsonString()));
                break;
            case 2:
                contentType = random.Next(5) == 0 ? null : Pick(random, WrongContentTypes);
                breaker = $"content-type:{contentType ?? "none"}";
                break;
            case 3:
                // Larger than the 256 KiB request limit (and than the narrative limit).
                body["narrative"] = new string('A', 270_000 + random.Next(50_000));
                breaker = "oversize";
                break;
            default:
                breaker = "auth:" + BadStaffAuth(random, headers);
                break;
        }
        if (staff && !breaker.StartsWith("auth:", StringComparison.Ordinal))
            headers.Add(new("Authorization", "Bearer " + context.Tokens.Clerk));
        bytes ??= Encoding.UTF8.GetBytes(body.ToJsonString());
        var path = staff ? "/api/complaints" : "/api/public/complaints";
        if (random.Next(6) == 0)
        {
            path += "?" + GarbageQuery(random);
            noise.Add("query");
        }
        return new FuzzRequest(index, FuzzService.Intake, staff ? "POST /api/complaints" : "POST /api/public/complaints", HttpMethod.Post, path,
            bytes, contentType, headers, breaker, noise);
    }

    private static JsonObject ValidComplaint(Random random, bool staff)
    {
        var body = new JsonObject
        {
            ["category"] = Pick(random, Categories),
            ["narrative"] = "Fuzzed complaint: the officer " + Pick(random, ["shouted", "pushed me", "ignored my call", "swore"]) + " near the library.",
            ["district"] = (random.Next(5) + 1).ToString(CultureInfo.InvariantCulture),
        };
        if (staff)
            body["channel"] = Pick(random, ["phone", "walk-in", "email", "mail"]);
        body["complainant"] = random.Next(2) == 0
            ? new JsonObject { ["anonymous"] = true }
            : new JsonObject { ["name"] = "Fuzz Person", ["email"] = $"fuzz{random.Next(1_000_000)}@example.org" };
        if (random.Next(3) == 0)
            body["occurredAt"] = "2025-03-01T14:05:00-05:00";
        if (random.Next(3) == 0)
            body["location"] = new JsonObject { ["address"] = "12 River St", ["latitude"] = 41.5, ["longitude"] = -72.6 };
        return body;
    }

    /// <summary>Makes one required field certainly invalid; returns its name.</summary>
    private static string BreakComplaintField(Random random, JsonObject body, bool staff)
    {
        var choices = staff ? 9 : 8;
        switch (random.Next(choices))
        {
            case 0:
                body["category"] = WrongOrUnknown(random, "zz-unknown-category-");
                return "category";
            case 1:
                body.Remove(random.Next(2) == 0 ? "category" : "narrative");
                return "missing-required";
            case 2:
                body["narrative"] = random.Next(4) switch
                {
                    0 => JsonValue.Create(42),
                    1 => new JsonArray("a", "b"),
                    2 => JsonValue.Create(new string(' ', random.Next(1, 40))),
                    _ => JsonValue.Create(new string('n', 10_001 + random.Next(5_000))),
                };
                return "narrative";
            case 3:
                body["district"] = random.Next(3) switch
                {
                    0 => JsonValue.Create(random.Next(6, int.MaxValue)),
                    1 => JsonValue.Create("99" + Garbage(random, 3)),
                    _ => new JsonArray(1, 2),
                };
                return "district";
            case 4:
                body["complainant"] = random.Next(3) switch
                {
                    0 => JsonValue.Create(42),
                    1 => JsonValue.Create("me"),
                    _ => new JsonArray(true),
                };
                return "complainant-type";
            case 5:
                body["occurredAt"] = random.Next(3) switch
                {
                    0 => JsonValue.Create("yesterday " + Garbage(random, 5)),
                    1 => JsonValue.Create("2999-01-01T00:00:00Z"),
                    _ => JsonValue.Create(1.5e300),
                };
                return "occurredAt";
            case 6:
                body["allegations"] = random.Next(2) == 0 ? new JsonObject { ["type"] = "force" } : new JsonArray(null, 7);
                return "allegations";
            case 7:
                body["subjectOfficers"] = random.Next(2) == 0 ? JsonValue.Create("614") : new JsonArray(Enumerable.Range(0, 60).Select(i => (JsonNode?)JsonValue.Create($"{100 + i}")).ToArray());
                return "subjectOfficers";
            default:
                body["channel"] = WrongOrUnknown(random, "zz-unknown-channel-");
                return "channel";
        }
    }

    private static JsonNode? WrongOrUnknown(Random random, string prefix) => random.Next(6) switch
    {
        0 => JsonValue.Create(42),
        1 => JsonValue.Create(true),
        2 => new JsonArray(),
        3 => new JsonObject(),
        4 => JsonValue.Create(""),
        _ => JsonValue.Create(prefix + Garbage(random, random.Next(1, 30))),
    };

    private string BadStaffAuth(Random random, List<KeyValuePair<string, string>> headers)
    {
        var (name, value) = random.Next(8) switch
        {
            0 => ("none", (string?)null),
            1 => ("garbage", "Bearer " + Base64Garbage(random)),
            2 => ("expired", "Bearer " + context.Tokens.Expired),
            3 => ("foreign", "Bearer " + context.Tokens.ForeignlySigned),
            4 => ("wrong-role", "Bearer " + context.Tokens.Auditor),
            5 => ("alg-none", "Bearer " + AlgNone(context.Tokens.Clerk)),
            6 => ("basic", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:admin"))),
            _ => ("tampered", "Bearer " + Tamper(random, context.Tokens.Clerk)),
        };
        if (value is not null)
            headers.Add(new("Authorization", value));
        return name;
    }

    // ------------------------------------------------------------------ Open311

    private FuzzRequest Open311Post(int index, Random random)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("api_key", context.Open311ApiKey),
            new("service_code", Pick(random, Categories)),
            new("description", "Fuzzed Open311 request: nobody came after my call."),
            new("address_string", "5 Elm St"),
            new("attribute[district]", (random.Next(5) + 1).ToString(CultureInfo.InvariantCulture)),
        };
        if (random.Next(2) == 0)
            fields.Add(new("email", $"o311-{random.Next(1_000_000)}@example.org"));
        var noise = new List<string>();
        // Noise in fields that do not decide acceptance.
        if (random.Next(3) == 0)
        {
            fields.Add(new(Pick(random, ["lat", "long", "first_name", "last_name", "phone", "device_id", "attribute[" + Garbage(random, 4) + "]", Garbage(random, 6)]),
                Pick(random, ["abc", "1e400", "-999.5", "NaN", Garbage(random, 20), "\u0000\u0001", "%ZZ", "%FF%FE"])));
            noise.Add("odd-field");
        }
        string? contentType = "application/x-www-form-urlencoded";
        byte[]? raw = null;
        string breaker;
        switch (random.Next(7))
        {
            case 0:
                fields.RemoveAll(f => f.Key == "api_key");
                if (random.Next(2) == 0)
                    fields.Add(new("api_key", random.Next(3) == 0 ? "" : Garbage(random, random.Next(1, 200))));
                breaker = "api_key";
                break;
            case 1:
                fields.RemoveAll(f => f.Key == "service_code");
                if (random.Next(2) == 0)
                    fields.Add(new("service_code", "zz-" + Garbage(random, random.Next(1, 40))));
                breaker = "service_code";
                break;
            case 2:
                fields.RemoveAll(f => f.Key == "description");
                if (random.Next(2) == 0)
                    fields.Add(new("description", random.Next(2) == 0 ? "   " : new string('d', 10_001 + random.Next(3_000))));
                breaker = "description";
                break;
            case 3:
                contentType = random.Next(4) == 0 ? null : Pick(random, ["application/json", "text/plain", "application/xml", "multipart/form-data", "application/x-www-form-urlencodedx"]);
                if (contentType == "application/json")
                    raw = Encoding.UTF8.GetBytes(new JsonObject(fields.Select(f => new KeyValuePair<string, JsonNode?>(f.Key, f.Value))).ToJsonString());
                breaker = $"content-type:{contentType ?? "none"}";
                break;
            case 4:
                // Bytes that are not a form with our key in it.
                raw = RandomBytes(random, random.Next(0, 2_000));
                breaker = "random-bytes";
                break;
            case 5:
                fields.RemoveAll(f => f.Key == "api_key");
                fields.Add(new("api_key", context.Open311ApiKey + "\u0000"));
                breaker = "api_key-nul";
                break;
            default:
                fields.RemoveAll(f => f.Key == "description");
                fields.Add(new("description", new string('D', 270_000)));
                breaker = "oversize";
                break;
        }
        raw ??= Encoding.UTF8.GetBytes(FormEncode(random, fields, noise));
        var format = random.Next(8) == 0 ? Pick(random, ["xml", "JSON", "html", Garbage(random, 3)]) : "json";
        if (format != "json")
            noise.Add("format");
        return new FuzzRequest(index, FuzzService.Intake, "POST /open311/v2/requests", HttpMethod.Post, $"/open311/v2/requests.{Uri.EscapeDataString(format)}",
            raw, contentType, [], breaker, noise);
    }

    private static string FormEncode(Random random, List<KeyValuePair<string, string>> fields, List<string> noise)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in fields)
        {
            if (text.Length > 0)
                text.Append('&');
            // Keep the odd values literally broken sometimes (%ZZ, raw bytes), escaped the other times.
            var literal = value.StartsWith('%') && random.Next(2) == 0;
            text.Append(Uri.EscapeDataString(key)).Append('=').Append(literal ? value : Uri.EscapeDataString(value));
        }
        if (random.Next(8) == 0)
        {
            text.Append(Pick(random, ["&&&", "&=", "&==x", "&%", "&a[=1", "&" + new string('k', 5000) + "=1"]));
            noise.Add("form-syntax");
        }
        return text.ToString();
    }

    private FuzzRequest IntakeRead(int index, Random random)
    {
        var segment = PathGarbage(random);
        var (endpoint, path) = random.Next(6) switch
        {
            0 => ("GET /open311/v2/requests", "/open311/v2/requests.json?" + GarbageQuery(random, ["start_date", "end_date", "status", "service_code", "service_request_id", "api_key", "page", "page_size"])),
            1 => ("GET /open311/v2/requests/{id}", $"/open311/v2/requests/{segment}.json"),
            2 => ("GET /open311/v2/services/{code}", $"/open311/v2/services/{segment}.{Pick(random, ["json", "xml", segment])}"),
            3 => ("GET /open311/v2/discovery", $"/open311/v2/discovery.{segment}"),
            4 => ("GET /api/public/status/{code}", $"/api/public/status/{segment}"),
            _ => ("GET intake garbage path", "/" + segment + "/" + PathGarbage(random)),
        };
        return new FuzzRequest(index, FuzzService.Intake, endpoint, HttpMethod.Get, path, null, null, [], "read", []);
    }

    // ------------------------------------------------------------------ assignment

    private FuzzRequest AssignmentWrite(int index, Random random)
    {
        var endpoint = Pick(random, AssignmentWrites);
        var onHandoff = endpoint is "accept" or "decline" or "cancel";
        var noise = new List<string>();
        var headers = new List<KeyValuePair<string, string>>();
        string id;
        string token;
        var target = random.Next(10);
        string breaker;
        if (target == 0)
        {
            id = PathGarbage(random);
            breaker = "path-garbage";
            token = context.Tokens.Admin;
        }
        else if (target == 1 || (onHandoff && context.PendingHandoffs.Count == 0) || (!onHandoff && context.Cases.Count == 0))
        {
            id = Guid.NewGuid().ToString();
            breaker = "unknown-id";
            token = context.Tokens.Admin;
        }
        else
        {
            var @case = context.Cases[random.Next(context.Cases.Count)];
            id = onHandoff ? context.PendingHandoffs[random.Next(context.PendingHandoffs.Count)].ToString() : @case.CaseId.ToString();
            token = endpoint == "reassign" ? context.Tokens.Supervisor : @case.OwnerToken;
            breaker = "";
        }

        var body = ValidAssignmentBody(random, endpoint);
        string? contentType = body is null ? null : "application/json";
        byte[]? bytes = null;
        if (breaker.Length == 0)
        {
            // A real target and a token that may act: the request itself must be what is wrong.
            var authBroken = random.Next(5) == 0;
            if (authBroken)
            {
                var (name, value) = random.Next(5) switch
                {
                    0 => ("none", (string?)null),
                    1 => ("garbage", "Bearer " + Base64Garbage(random)),
                    2 => ("expired", "Bearer " + context.Tokens.Expired),
                    3 => ("foreign", "Bearer " + context.Tokens.ForeignlySigned),
                    _ => ("wrong-role", "Bearer " + context.Tokens.Auditor),
                };
                breaker = "auth:" + name;
                token = value ?? "";
            }
            else
                (bytes, contentType, breaker) = BreakAssignmentBody(random, endpoint, body);
        }
        if (token.Length > 0)
            headers.Add(new("Authorization", token.StartsWith("Bearer ", StringComparison.Ordinal) ? token : "Bearer " + token));
        bytes ??= body is null ? null : Encoding.UTF8.GetBytes(body.ToJsonString());
        if (bytes is null && contentType is not null)
            contentType = null;
        var path = onHandoff ? $"/api/handoffs/{id}/{endpoint}" : endpoint == "handoffs" ? $"/api/cases/{id}/handoffs" : $"/api/cases/{id}/{endpoint}";
        if (random.Next(6) == 0)
        {
            path += "?" + GarbageQuery(random);
            noise.Add("query");
        }
        return new FuzzRequest(index, FuzzService.Assignment, $"POST {endpoint}", HttpMethod.Post, path, bytes, contentType, headers, breaker, noise);
    }

    private static JsonObject? ValidAssignmentBody(Random random, string endpoint) => endpoint switch
    {
        "handoffs" => random.Next(2) == 0
            ? new JsonObject { ["toPersonId"] = Pick(random, ["p-1019", "p-1014", "p-1009"]), ["reason"] = "Fuzz: speaks the complainant's language" }
            : new JsonObject { ["toUnitId"] = Pick(random, ["u-internal-affairs", "u-intake-desk", "u-patrol-1"]), ["reason"] = "Fuzz: better placed" },
        "decline" or "reopen" => new JsonObject { ["reason"] = "Fuzz reason" },
        "cancel" or "resolve" => random.Next(2) == 0 ? null : new JsonObject { ["reason"] = "Fuzz reason" },
        "findings" => new JsonObject { ["allegationId"] = "a-1", ["finding"] = "sustained" },
        "reassign" => new JsonObject { ["toPersonId"] = Pick(random, ["p-1019", "p-1014"]), ["reason"] = "Fuzz: forced transfer" },
        "contacts" => new JsonObject { ["method"] = Pick(random, ["phone", "email", "in-person", "letter", "other"]), ["note"] = "Fuzz: called back" },
        _ => null, // accept, acknowledge take no body
    };

    /// <summary>A body defect the endpoint must refuse before it acts.</summary>
    private static (byte[]? Bytes, string? ContentType, string Breaker) BreakAssignmentBody(Random random, string endpoint, JsonObject? valid)
    {
        if (valid is null && endpoint is "cancel" or "resolve")
            valid = new JsonObject { ["reason"] = "Fuzz reason" }; // an empty body is a valid cancel or resolve
        if (valid is null || endpoint is "accept" or "acknowledge")
        {
            // Commands without a body refuse any body (and a content type alone).
            return random.Next(4) switch
            {
                0 => ([], "application/json", "body-on-bodyless:content-type-only"),
                1 => ("{}"u8.ToArray(), "application/json", "body-on-bodyless:{}"),
                2 => (RandomBytes(random, random.Next(1, 500)), Pick(random, WrongContentTypes), "body-on-bodyless:random"),
                _ => (Encoding.UTF8.GetBytes("{\"reason\":\"" + Garbage(random, 20) + "\"}"), "application/json", "body-on-bodyless:reason"),
            };
        }
        var choice = random.Next(4);
        if (choice == 0)
        {
            var (bytes, name) = BreakSyntax(random, Encoding.UTF8.GetBytes(valid.ToJsonString()));
            return (bytes, "application/json", name);
        }
        if (choice == 1)
            return (Encoding.UTF8.GetBytes(valid.ToJsonString()), Pick(random, WrongContentTypes), "content-type");
        if (choice == 2)
        {
            // Unknown fields are refused by the assignment API's JSON reader.
            valid["zz" + Garbage(random, 6).Replace("\"", "", StringComparison.Ordinal)] = Garbage(random, 10);
            return (Encoding.UTF8.GetBytes(valid.ToJsonString()), "application/json", "unknown-field");
        }
        switch (endpoint)
        {
            case "handoffs":
                switch (random.Next(5))
                {
                    case 0: valid["toPersonId"] = "p-1019"; valid["toUnitId"] = "u-internal-affairs"; break;
                    case 1: valid.Remove("toPersonId"); valid.Remove("toUnitId"); break;
                    case 2: valid.Remove("reason"); break;
                    case 3: valid["reason"] = new string('r', 2_001 + random.Next(100)); break;
                    default: valid[valid.ContainsKey("toPersonId") ? "toPersonId" : "toUnitId"] = random.Next(2) == 0 ? JsonValue.Create(42) : new JsonArray(); break;
                }
                return (Encoding.UTF8.GetBytes(valid.ToJsonString()), "application/json", "field:handoff");
            case "decline" or "reopen":
                if (random.Next(2) == 0)
                    valid.Remove("reason");
                else
                    valid["reason"] = random.Next(2) == 0 ? JsonValue.Create("  \t ") : JsonValue.Create(42);
                return (Encoding.UTF8.GetBytes(valid.ToJsonString()), "application/json", "field:reason");
            case "contacts":
                switch (random.Next(3))
                {
                    case 0: valid.Remove("method"); break;
                    case 1: valid["method"] = random.Next(2) == 0 ? JsonValue.Create("zz-" + Garbage(random, 8)) : JsonValue.Create(7); break;
                    default: valid["note"] = new string('n', 2_001 + random.Next(100)); break;
                }
                return (Encoding.UTF8.GetBytes(valid.ToJsonString()), "application/json", "field:contact");
            case "findings":
                if (random.Next(2) == 0)
                    valid["finding"] = random.Next(2) == 0 ? JsonValue.Create("zz-" + Garbage(random, 8)) : JsonValue.Create(7);
                else
                    valid.Remove("allegationId");
                return (Encoding.UTF8.GetBytes(valid.ToJsonString()), "application/json", "field:finding");
            case "reassign":
                if (random.Next(2) == 0)
                    valid["toPersonId"] = random.Next(2) == 0 ? JsonValue.Create(" ") : new JsonObject();
                else
                    valid.Remove("reason");
                return (Encoding.UTF8.GetBytes(valid.ToJsonString()), "application/json", "field:reassign");
            default:
                // cancel, resolve: the reason is optional, so only a wrong type breaks it.
                valid["reason"] = random.Next(2) == 0 ? JsonValue.Create(42) : new JsonArray("x");
                return (Encoding.UTF8.GetBytes(valid.ToJsonString()), "application/json", "field:reason-type");
        }
    }

    private FuzzRequest DirectoryPut(int index, Random random)
    {
        var headers = new List<KeyValuePair<string, string>> { new("Authorization", "Bearer " + context.Tokens.Admin) };
        if (random.Next(2) == 0)
            headers.Add(new("X-Change-Reason", Garbage(random, random.Next(1, 100))));
        var directory = new JsonObject
        {
            ["units"] = new JsonArray(new JsonObject { ["id"] = "u-x", ["name"] = "X" }),
            ["people"] = new JsonArray(),
            ["routing"] = new JsonArray(),
        };
        byte[] bytes;
        string breaker;
        switch (random.Next(3))
        {
            case 0:
                (bytes, breaker) = BreakSyntax(random, Encoding.UTF8.GetBytes(directory.ToJsonString()));
                break;
            case 1:
                directory[Pick(random, ["units", "people", "routing"])] = random.Next(2) == 0 ? JsonValue.Create(42) : JsonValue.Create("all");
                bytes = Encoding.UTF8.GetBytes(directory.ToJsonString());
                breaker = "field:wrong-type";
                break;
            default:
                bytes = Encoding.UTF8.GetBytes(Pick(random, ["[]", "null", "42", "\"directory\"", "{\"units\":null}", "{\"people\":[{\"id\":null}]}"]));
                breaker = "wrong-shape";
                break;
        }
        return new FuzzRequest(index, FuzzService.Assignment, "PUT /api/directory", HttpMethod.Put, "/api/directory", bytes, "application/json", headers, breaker, []);
    }

    private FuzzRequest AssignmentRead(int index, Random random)
    {
        var headers = new List<KeyValuePair<string, string>>
        {
            new("Authorization", "Bearer " + Pick(random, [context.Tokens.Admin, context.Tokens.Auditor, context.Tokens.Supervisor, context.Tokens.Expired, Base64Garbage(random)])),
        };
        var caseId = context.Cases.Count > 0 && random.Next(2) == 0 ? context.Cases[random.Next(context.Cases.Count)].CaseId.ToString() : PathGarbage(random);
        var (endpoint, path) = random.Next(5) switch
        {
            0 => ("GET /api/cases", "/api/cases?" + GarbageQuery(random, ["owner", "unit", "status", "overdue", "limit", "offset"])),
            1 => ("GET /api/cases/{id}", $"/api/cases/{caseId}"),
            2 => ("GET /api/cases/{id}/custody", $"/api/cases/{caseId}/custody?at={Uri.EscapeDataString(Pick(random, ["", "now", "2026-13-45T25:61:00Z", "-1", "9999999999999", Garbage(random, 20), "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999+14:00", "2025-03-01T14:05:00-25:00"]))}"),
            3 => ("GET /api/me/inbox", "/api/me/inbox?" + GarbageQuery(random)),
            _ => ("GET /api/directory", "/api/directory?" + GarbageQuery(random)),
        };
        return new FuzzRequest(index, FuzzService.Assignment, endpoint, HttpMethod.Get, path, null, null, headers, "read", []);
    }

    // ------------------------------------------------------------------ shared pieces

    /// <summary>Bytes that no JSON parser may accept as a document.</summary>
    private static (byte[] Bytes, string Breaker) BreakSyntax(Random random, byte[] json)
    {
        switch (random.Next(9))
        {
            case 0:
                return (json[..random.Next(0, json.Length - 1)], "syntax:truncated");
            case 1:
                return ([.. json, .. Encoding.UTF8.GetBytes(Pick(random, ["}", "xyz", ",", "{}", "\u0000", "]"]))], "syntax:trailing");
            case 2:
            {
                // Invalid UTF-8 inside the first string value.
                var at = Array.IndexOf(json, (byte)':') + 2;
                byte[] bad = Pick(random, new[] { new byte[] { 0xFF }, [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF], [0x80] });
                return ([.. json[..at], .. bad, .. json[at..]], "syntax:invalid-utf8");
            }
            case 3:
            {
                // A raw control character inside a string (JSON requires it escaped).
                var at = Array.IndexOf(json, (byte)':') + 2;
                return ([.. json[..at], (byte)random.Next(0, 0x20), .. json[at..]], "syntax:raw-control-char");
            }
            case 4:
                return (RandomBytes(random, random.Next(1, 4_000)) is var bytes && bytes[0] != (byte)'{' && bytes[0] != (byte)'[' ? bytes : [(byte)'!', .. bytes], "syntax:random-bytes");
            case 5:
                return (Encoding.UTF8.GetBytes(new string('[', 5_000 + random.Next(5_000))), "syntax:deep-nesting");
            case 6:
                return (Encoding.UTF8.GetBytes("{\"category\": 'force', narrative: \"x\"}"), "syntax:single-quotes");
            case 7:
                return ([], "syntax:empty");
            default:
                return (Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(json)), "syntax:utf16");
        }
    }

    private static void AddJsonNoise(Random random, JsonObject body, List<string> noise, string[] keep)
    {
        var count = random.Next(3);
        for (var i = 0; i < count; i++)
        {
            switch (random.Next(5))
            {
                case 0:
                    body["x" + Garbage(random, 5)] = Garbage(random, random.Next(0, 50));
                    noise.Add("unknown-field");
                    break;
                case 1:
                    if (body["complainant"] is JsonObject complainant && complainant.ContainsKey("name"))
                    {
                        complainant["name"] = "Name\u0000\u0007\u001b[31m" + Garbage(random, 10);
                        noise.Add("control-chars-in-name");
                    }
                    break;
                case 2:
                    body["location"] = new JsonObject { ["latitude"] = random.Next(2) == 0 ? 1e308 : -1000.0, ["longitude"] = double.Epsilon, ["address"] = Garbage(random, 30) };
                    noise.Add("odd-location");
                    break;
                case 3:
                    body["subjectOfficers"] = new JsonArray("614", "\u202e" + Garbage(random, 4));
                    noise.Add("odd-badges");
                    break;
                default:
                    var key = Pick(random, keep);
                    if (body[key] is JsonValue value && value.TryGetValue<string>(out var text))
                        body[key] = text + "\uFEFF";
                    noise.Add("bom-in-" + key);
                    break;
            }
        }
    }

    private static string GarbageQuery(Random random, string[]? names = null)
    {
        var parts = new List<string>();
        var count = random.Next(1, 6);
        for (var i = 0; i < count; i++)
        {
            var name = names is not null && random.Next(4) != 0 ? Pick(random, names) : Uri.EscapeDataString(Garbage(random, random.Next(1, 10)));
            var value = random.Next(10) switch
            {
                0 => "-1",
                1 => "99999999999999999999",
                2 => "2147483648",
                3 => "%ZZ",
                4 => "%FF%FE%00",
                5 => new string('q', 4_000),
                6 => "",
                7 => "null",
                8 => "1e309",
                _ => Uri.EscapeDataString(Garbage(random, random.Next(1, 40))),
            };
            parts.Add(name + "=" + value);
        }
        return string.Join('&', parts);
    }

    /// <summary>A path segment that is anything but a well-formed id.</summary>
    private static string PathGarbage(Random random) => random.Next(10) switch
    {
        0 => "%00",
        1 => "..%2F..%2Fetc%2Fpasswd",
        2 => new string('z', 3_000 + random.Next(3_000)),
        3 => "%FF%FE",
        4 => Guid.NewGuid().ToString("N") + "0",
        5 => "00000000-0000-0000-0000-00000000000g",
        6 => "%E2%80%AE" + Uri.EscapeDataString(Garbage(random, 8)),
        7 => "-1",
        8 => Uri.EscapeDataString("{" + Guid.NewGuid() + "}\u0001"),
        _ => Uri.EscapeDataString(Garbage(random, random.Next(1, 60))),
    };

    /// <summary>Printable and unprintable characters, quotes, surrogates' neighbours, RTL marks.</summary>
    private static string Garbage(Random random, int length)
    {
        const string alphabet = "abcXYZ0189 -_.~!*'();:@&=+$,/?#[]\"\\<>%{}|^`\t\u00e9\u00df\u4e2d\u202e\ufffd\u0007\u007f";
        var text = new char[length];
        for (var i = 0; i < length; i++)
            text[i] = alphabet[random.Next(alphabet.Length)];
        return new string(text);
    }

    private static string Base64Garbage(Random random) =>
        random.Next(3) == 0 ? "a.b.c" : Convert.ToBase64String(RandomBytes(random, random.Next(1, 200))).TrimEnd('=');

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The same claims with {"alg":"none"} and no signature.</summary>
    private static string AlgNone(string token)
    {
        var parts = token.Split('.');
        var header = Convert.ToBase64String("{\"alg\":\"none\",\"typ\":\"JWT\"}"u8.ToArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{header}.{parts[1]}.";
    }

    /// <summary>One character of the payload changed: the signature no longer matches.</summary>
    private static string Tamper(Random random, string token)
    {
        var parts = token.Split('.');
        var payload = parts[1].ToCharArray();
        var at = random.Next(payload.Length);
        payload[at] = payload[at] == 'A' ? 'B' : 'A';
        return $"{parts[0]}.{new string(payload)}.{parts[2]}";
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
