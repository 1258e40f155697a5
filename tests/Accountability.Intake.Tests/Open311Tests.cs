using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using System.Xml.Linq;
using Accountability.Contracts.Intake;
using Xunit;

namespace Accountability.Intake.Tests;

[Collection(nameof(IntakeService))]
public sealed class Open311Tests(IntakeService intake)
{
    /// <summary>Found by the fuzzer (seed 20260307): a control character echoed into an XML error once answered 500.</summary>
    [Theory]
    [InlineData("/open311/v2/services/%7Bfb2b0a52-0000-4000-8000-000000000000%7D%01.xml", "text/xml")]
    [InlineData("/open311/v2/services/%01%02.json", "application/json")]
    public async Task An_unknown_service_code_with_control_characters_gets_the_specs_404(string path, string mediaType)
    {
        using var response = await intake.Client.GetAsync(path);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("404", body);
        Assert.DoesNotContain('\u0001', body); // a char: ordinal, where culture-aware search would ignore it
    }

    [Fact]
    public async Task Discovery_matches_the_GeoReport_v2_shape()
    {
        Open311Schema.Discovery(await GetJsonAsync("/open311/v2/discovery.json"));
    }

    [Fact]
    public async Task The_service_list_offers_the_seven_categories_in_the_GeoReport_v2_shape()
    {
        var services = await GetJsonAsync("/open311/v2/services.json");
        Open311Schema.ServiceList(services);
        Assert.Equal(ComplaintCategories.All, services.EnumerateArray().Select(s => s.GetProperty("service_code").GetString()));
    }

    [Fact]
    public async Task Every_service_definition_matches_the_GeoReport_v2_shape_and_lists_the_five_districts()
    {
        foreach (var code in ComplaintCategories.All)
        {
            var definition = await GetJsonAsync($"/open311/v2/services/{code}.json");
            Open311Schema.ServiceDefinition(definition);
            var district = definition.GetProperty("attributes").EnumerateArray().Single(a => a.GetProperty("code").GetString() == "district");
            Assert.Equal(["1", "2", "3", "4", "5"], district.GetProperty("values").EnumerateArray().Select(v => v.GetProperty("key").GetString()));
        }
    }

    [Fact]
    public async Task The_public_list_shows_only_what_was_filed_through_Open311_never_staff_filed_or_anonymous_complaints()
    {
        // Issue 17, finding 6: requests.json listed every complaint to anonymous callers (force, misconduct...).
        var open311 = await PostOpen311Async("lack-of-service");
        var staff = (await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()))).GetProperty("caseId").GetGuid().ToString();
        using var anonymousFiling = await intake.Client.PostAsJsonAsync("/api/public/complaints", new
        {
            category = "lack-of-service", narrative = $"Nobody came. {IntakeService.NewMarker()}", complainant = new { anonymous = true },
        });
        var anonymous = (await anonymousFiling.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("caseId").GetGuid().ToString();

        var listed = (await GetJsonAsync($"/open311/v2/requests.json?service_request_id={open311},{staff},{anonymous}"))
            .EnumerateArray().Select(r => r.GetProperty("service_request_id").GetString()).ToList();

        Assert.Equal([open311], listed);
        using var byId = await intake.Client.GetAsync($"/open311/v2/requests/{staff}.json");
        Assert.Equal(HttpStatusCode.NotFound, byId.StatusCode);
    }

    [Fact]
    public async Task A_plain_form_encoded_post_round_trips_to_get_requests_by_id()
    {
        var marker = IntakeService.NewMarker();
        using var posted = await intake.Client.PostAsync("/open311/v2/requests.json", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["api_key"] = IntakeService.Open311ApiKey,
            ["service_code"] = "abuse-of-authority",
            ["lat"] = "41.7658",
            ["long"] = "-72.6734",
            ["address_string"] = "200 Main St, Riverton",
            ["attribute[district]"] = "2",
            ["attribute[officer_badge]"] = "614, 872",
            ["description"] = $"Searched my car without a reason. {marker}",
            ["email"] = "sam.okafor@example.org",
            ["first_name"] = "Sam",
            ["last_name"] = "Okafor",
        }));
        var postedText = await posted.Content.ReadAsStringAsync();
        Assert.True(posted.StatusCode == HttpStatusCode.OK, postedText);
        Assert.Equal("application/json", posted.Content.Headers.ContentType?.MediaType);
        var postedBody = JsonDocument.Parse(postedText).RootElement;
        Open311Schema.PostResponse(postedBody);
        var id = postedBody[0].GetProperty("service_request_id").GetString()!;
        Assert.Contains("RPD-", postedBody[0].GetProperty("service_notice").GetString());

        var withKey = await GetJsonAsync($"/open311/v2/requests/{id}.json?api_key={IntakeService.Open311ApiKey}");
        Open311Schema.ServiceRequests(withKey);
        var request = Assert.Single(withKey.EnumerateArray());
        Assert.Equal(id, request.GetProperty("service_request_id").GetString());
        Assert.Equal("abuse-of-authority", request.GetProperty("service_code").GetString());
        Assert.Equal("Abuse of authority", request.GetProperty("service_name").GetString());
        Assert.Equal("open", request.GetProperty("status").GetString());
        Assert.Equal("Complaint Intake Duty Desk", request.GetProperty("agency_responsible").GetString());
        Assert.Equal($"Searched my car without a reason. {marker}", request.GetProperty("description").GetString());
        Assert.Equal("200 Main St, Riverton", request.GetProperty("address").GetString());
        Assert.Equal(41.7658, request.GetProperty("lat").GetDouble());
        Assert.Equal(-72.6734, request.GetProperty("long").GetDouble());

        // Without a key the listing is public: no description or location, which can identify people.
        var withoutKey = Assert.Single((await GetJsonAsync($"/open311/v2/requests/{id}.json")).EnumerateArray());
        Assert.Equal(JsonValueKind.Null, withoutKey.GetProperty("description").ValueKind);
        Assert.Equal(JsonValueKind.Null, withoutKey.GetProperty("lat").ValueKind);

        var row = await IntakeService.QueryAsync<(string Channel, string District, string Badges, string FiledBy)>(
            "select channel, district, array_to_string(subject_officer_badges, ','), filed_by from complaints where case_id = @id::uuid", new { id });
        Assert.Equal(("open311", "2", "614,872", "system:open311"), row);
    }

    [Fact]
    public async Task Get_requests_filters_by_id_list_service_code_dates_and_status_in_the_GeoReport_v2_shape()
    {
        var first = await PostOpen311Async("lack-of-service");
        var second = await PostOpen311Async("lack-of-service");

        var byIds = await GetJsonAsync($"/open311/v2/requests.json?service_request_id={first},{second},not-an-id");
        Open311Schema.ServiceRequests(byIds);
        Assert.Equal(new[] { first, second }.Order(), byIds.EnumerateArray().Select(r => r.GetProperty("service_request_id").GetString()).Order());

        var start = DateTimeOffset.UtcNow.AddMinutes(-5).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        var filtered = await GetJsonAsync($"/open311/v2/requests.json?service_code=lack-of-service&status=open&start_date={start}");
        Open311Schema.ServiceRequests(filtered);
        var ids = filtered.EnumerateArray().Select(r => r.GetProperty("service_request_id").GetString()).ToList();
        Assert.Contains(first, ids);
        Assert.Contains(second, ids);
        Assert.All(filtered.EnumerateArray(), r => Assert.Equal("lack-of-service", r.GetProperty("service_code").GetString()));
        Assert.True(ids.Count <= 1000);

        var closed = await GetJsonAsync($"/open311/v2/requests.json?service_code=lack-of-service&status=closed&start_date={start}");
        Assert.DoesNotContain(first, closed.EnumerateArray().Select(r => r.GetProperty("service_request_id").GetString()));

        var future = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        Assert.Empty((await GetJsonAsync($"/open311/v2/requests.json?start_date={future}")).EnumerateArray());
        // The same instant with another offset finds the same requests (it once answered 500).
        var startInNewYork = DateTimeOffset.UtcNow.AddMinutes(-5).ToOffset(TimeSpan.FromHours(-5)).ToString("yyyy-MM-dd'T'HH:mm:sszzz");
        var zoned = await GetJsonAsync($"/open311/v2/requests.json?service_code=lack-of-service&status=open&start_date={Uri.EscapeDataString(startInNewYork)}");
        Assert.Contains(first, zoned.EnumerateArray().Select(r => r.GetProperty("service_request_id").GetString()));
    }

    [Fact]
    public async Task The_xml_variants_carry_the_same_data()
    {
        var id = await PostOpen311Async("misconduct");
        using var response = await intake.Client.GetAsync($"/open311/v2/requests/{id}.xml");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        var request = Assert.Single(xml.Root!.Elements("request"));
        Assert.Equal("service_requests", xml.Root.Name.LocalName);
        Assert.Equal(id, request.Element("service_request_id")?.Value);
        Assert.Equal("misconduct", request.Element("service_code")?.Value);

        var services = XDocument.Parse(await intake.Client.GetStringAsync("/open311/v2/services.xml"));
        Assert.Equal(7, services.Root!.Elements("service").Count());
    }

    [Theory]
    [InlineData("/open311/v2/services/no-such-service.json", 404)]
    [InlineData("/open311/v2/requests/00000000-0000-0000-0000-000000000000.json", 404)]
    [InlineData("/open311/v2/requests.json?start_date=yesterday", 400)]
    [InlineData("/open311/v2/requests.json?status=pending", 400)]
    [InlineData("/open311/v2/nothing-here.json", 404)]
    public async Task Errors_are_the_spec_list_of_code_and_description(string path, int status)
    {
        using var response = await intake.Client.GetAsync(path);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Open311Schema.Errors(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement, status);
    }

    [Fact]
    public async Task Xml_errors_are_an_errors_element_with_code_and_description()
    {
        using var response = await intake.Client.PostAsync("/open311/v2/requests.xml",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["service_code"] = "force" }));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var xml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("errors", xml.Root!.Name.LocalName);
        var error = Assert.Single(xml.Root.Elements("error"));
        Assert.Equal("403", error.Element("code")?.Value);
        Assert.False(string.IsNullOrWhiteSpace(error.Element("description")?.Value));
    }

    private async Task<string> PostOpen311Async(string serviceCode)
    {
        using var response = await intake.Client.PostAsync("/open311/v2/requests.json", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["api_key"] = IntakeService.Open311ApiKey,
            ["service_code"] = serviceCode,
            ["address_string"] = "5 Elm St",
            ["description"] = $"Open311 filing {IntakeService.NewMarker()}",
            // With a contact: anonymous requests are not in the public list.
            ["email"] = "open311.caller@example.org",
            ["first_name"] = "Casey",
        }));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement[0].GetProperty("service_request_id").GetString()!;
    }

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await intake.Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
