using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Intake.Tests;

/// <summary>Every write endpoint, every kind of bad input: a 4xx in the endpoint's error format, nothing stored, never a 5xx.</summary>
[Collection(nameof(IntakeService))]
public sealed class BadInputTests(IntakeService intake)
{
    public const string Clerk = "POST /api/complaints";
    public const string Public = "POST /api/public/complaints";
    public const string Open311 = "POST /open311/v2/requests.json";

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var endpoint in new[] { Clerk, Public, Open311 })
            foreach (var kind in new[] { "malformed JSON", "wrong types", "2 MB body", "unknown category", "invalid UTF-8", "unknown field" })
                data.Add(endpoint, kind);
        foreach (var endpoint in new[] { Clerk, Open311 })
            foreach (var kind in new[] { "missing token", "expired token" })
                data.Add(endpoint, kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_a_4xx_in_the_endpoints_error_format_and_stores_nothing(string endpoint, string kind)
    {
        var marker = IntakeService.NewMarker();
        using var request = BuildRequest(endpoint, kind, marker);
        // A large body waits for the server's go-ahead; otherwise the early 413 races the upload and the socket breaks.
        request.Headers.ExpectContinue = kind == "2 MB body";
        using var response = await intake.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        var status = (int)response.StatusCode;
        Assert.True(status is >= 400 and < 500, $"{endpoint} / {kind}: {status} {text}");
        if (endpoint == Open311)
        {
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Open311Schema.Errors(JsonDocument.Parse(text).RootElement, status);
        }
        else
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(text).RootElement;
            Assert.Equal(status, problem.GetProperty("status").GetInt32());
            if (status == 400)
                Assert.NotEmpty(problem.GetProperty("errors").EnumerateObject());
        }
        Assert.DoesNotContain(marker, text); // errors never echo what was sent
        Assert.Equal(0L, await IntakeService.QueryAsync<long>(
            "select count(*) from complaints where narrative like @pattern", new { pattern = $"%{marker}%" }));
    }

    [Theory]
    [InlineData(Clerk)]
    [InlineData(Public)]
    [InlineData(Open311)]
    public async Task Sql_metacharacters_are_stored_verbatim_and_harmlessly(string endpoint)
    {
        var marker = IntakeService.NewMarker();
        var hostile = $"Robert'); drop table complaints; -- \" \\ %_ $1 ; select pg_sleep(5); {marker}";
        using var request = BuildRequest(endpoint, "valid", marker, narrative: hostile);
        using var response = await intake.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, text);

        Assert.Equal(hostile, await IntakeService.QueryAsync<string>(
            "select narrative from complaints where narrative like @pattern", new { pattern = $"%{marker}%" }));
        Assert.True(await IntakeService.QueryAsync<long>("select count(*) from complaints") > 0);
    }

    [Fact]
    public async Task A_wrong_type_names_the_field_and_its_position()
    {
        using var request = BuildRequest(Clerk, "wrong types", IntakeService.NewMarker());
        using var response = await intake.Client.SendAsync(request);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        var message = errors.GetProperty("district")[0].GetString();
        Assert.Contains("wrong type", message);
        Assert.Contains("line 1", message);
    }

    [Fact]
    public async Task Every_rule_violation_is_reported_at_once_by_field()
    {
        using var request = Json(Clerk, JsonSerializer.Serialize(new
        {
            category = "force",
            narrative = new string('x', 10_001),
            channel = "carrier-pigeon",
            district = "9",
            occurredAt = DateTimeOffset.UtcNow.AddDays(3).ToString("yyyy-MM-dd'T'HH:mm:sszzz"),
            subjectOfficers = new[] { "not a badge!" },
            // An empty badge is an unidentified officer (valid); a malformed one and an over-long description are not.
            allegations = new[] { new { type = "force", officerBadge = "no badge!", officerDescription = new string('d', 201) } },
            complainant = new { name = "A", email = "not-an-email", phone = "12" },
        }));
        using var response = await intake.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        var fields = errors.EnumerateObject().Select(e => e.Name).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "narrative", "channel", "district", "occurredAt", "subjectOfficers[0]", "allegations[0].officerBadge", "allegations[0].officerDescription",
            "complainant.email", "complainant.phone",
        }, fields);
    }

    private HttpRequestMessage BuildRequest(string endpoint, string kind, string marker, string? narrative = null)
    {
        narrative ??= $"Bad input probe. {marker}";
        if (endpoint == Open311)
            return Open311Request(kind, marker, narrative);

        var valid = new Dictionary<string, object?>
        {
            ["category"] = "misconduct",
            ["narrative"] = narrative,
            ["complainant"] = new { anonymous = true },
        };
        if (endpoint == Clerk)
        {
            valid["channel"] = "walk-in";
            valid["district"] = "1";
        }
        string Body() => JsonSerializer.Serialize(valid);

        switch (kind)
        {
            case "valid":
                return Json(endpoint, Body());
            case "malformed JSON":
                return Json(endpoint, Body()[..^5]);
            case "wrong types":
                valid["district"] = 3;
                valid["subjectOfficers"] = "614";
                return Json(endpoint, Body());
            case "2 MB body":
                valid["narrative"] = narrative + new string('x', 2 * 1024 * 1024);
                return Json(endpoint, Body());
            case "unknown category":
                valid["category"] = "jaywalking";
                return Json(endpoint, Body());
            case "invalid UTF-8":
                var bytes = Encoding.UTF8.GetBytes(Body().Replace("Bad input probe.", "Bad input probe \u0001\u0001."));
                var at = Array.IndexOf(bytes, (byte)1);
                bytes[at] = 0xC3;
                bytes[at + 1] = 0x28; // a lead byte followed by a non-continuation byte
                var invalid = new HttpRequestMessage(HttpMethod.Post, Path(endpoint)) { Content = new ByteArrayContent(bytes) };
                invalid.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                return Authorized(invalid, endpoint);
            case "unknown field":
                valid["narative"] = "typo";
                return Json(endpoint, Body());
            case "missing token":
                return new HttpRequestMessage(HttpMethod.Post, Path(endpoint)) { Content = new StringContent(Body(), Encoding.UTF8, "application/json") };
            case "expired token":
                var expired = new HttpRequestMessage(HttpMethod.Post, Path(endpoint)) { Content = new StringContent(Body(), Encoding.UTF8, "application/json") };
                expired.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.Expired(IntakeService.ClerkId, "intake-clerk"));
                return expired;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private static HttpRequestMessage Open311Request(string kind, string marker, string narrative)
    {
        var form = new Dictionary<string, string>
        {
            ["api_key"] = IntakeService.Open311ApiKey,
            ["service_code"] = "misconduct",
            ["address_string"] = "1 Court Sq",
            ["description"] = narrative,
        };
        HttpRequestMessage Form() => new(HttpMethod.Post, Open311.Split(' ')[1]) { Content = new FormUrlEncodedContent(form) };
        switch (kind)
        {
            case "valid":
                return Form();
            case "malformed JSON":
                return new HttpRequestMessage(HttpMethod.Post, Open311.Split(' ')[1])
                {
                    Content = new StringContent($$"""{"service_code": "misconduct", "description": "{{marker}}" """, Encoding.UTF8, "application/json"),
                };
            case "wrong types":
                form["lat"] = "north";
                form["long"] = "west";
                return Form();
            case "2 MB body":
                form["description"] = narrative + new string('x', 2 * 1024 * 1024);
                return Form();
            case "unknown category":
                form["service_code"] = "jaywalking";
                return Form();
            case "invalid UTF-8":
                var body = $"api_key={IntakeService.Open311ApiKey}&service_code=misconduct&address_string=x&description={marker}%C3%28";
                return new HttpRequestMessage(HttpMethod.Post, Open311.Split(' ')[1])
                {
                    Content = new StringContent(body, Encoding.ASCII, "application/x-www-form-urlencoded"),
                };
            case "unknown field":
                form["attribute[shoe_size]"] = "44";
                return Form();
            case "missing token":
                form.Remove("api_key");
                return Form();
            case "expired token":
                form["api_key"] = "revoked-or-never-issued";
                return Form();
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private static string Path(string endpoint) => endpoint.Split(' ')[1];

    private static HttpRequestMessage Json(string endpoint, string body) =>
        Authorized(new HttpRequestMessage(HttpMethod.Post, Path(endpoint)) { Content = new StringContent(body, Encoding.UTF8, "application/json") }, endpoint);

    private static HttpRequestMessage Authorized(HttpRequestMessage request, string endpoint)
    {
        if (endpoint == Clerk)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestTokens.For(IntakeService.ClerkId, "intake-clerk"));
        return request;
    }
}
