using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Accountability.Intake.Tests;

[Collection(nameof(IntakeService))]
public sealed partial class FilingTests(IntakeService intake)
{
    [Fact]
    public async Task A_filed_complaint_gets_201_with_an_unguessable_code_and_the_intake_desk_as_owner()
    {
        using var response = await intake.FileAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();

        var code = body.GetProperty("trackingCode").GetString()!;
        Assert.Matches(TrackingCodeFormat(), code);
        Assert.NotEqual(Guid.Empty, body.GetProperty("caseId").GetGuid());
        Assert.Equal("unit", body.GetProperty("owner").GetProperty("kind").GetString());
        Assert.Equal("u-intake-desk", body.GetProperty("owner").GetProperty("id").GetString());
        Assert.Equal("Complaint Intake Duty Desk", body.GetProperty("owner").GetProperty("name").GetString());
        Assert.Equal("received", body.GetProperty("status").GetString());
        Assert.Equal($"/api/public/status/{code}", body.GetProperty("statusUrl").GetString());
        Assert.Equal($"/api/public/status/{code}", response.Headers.Location?.OriginalString);
        var number = body.GetProperty("caseNumber").GetString()!;
        Assert.Matches($"^IA-{DateTimeOffset.UtcNow.Year}-[0-9]{{5}}$", number);

        // Two codes filed back to back share nothing that a sequence would.
        var second = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()));
        var otherCode = second.GetProperty("trackingCode").GetString()!;
        // Case numbers are unique and in sequence: the later filing has the higher number.
        Assert.True(string.CompareOrdinal(second.GetProperty("caseNumber").GetString(), number) > 0, $"{number} then {second.GetProperty("caseNumber")}");
        var sharedPositions = code.Where((c, i) => c != '-' && otherCode[i] == c).Count() - 3; // minus the prefix
        Assert.True(sharedPositions < 8, $"{code} and {otherCode} look related");
    }

    [Fact]
    public async Task The_case_row_and_the_ComplaintReceived_message_exist_and_carry_no_plaintext_contact()
    {
        var marker = IntakeService.NewMarker();
        var email = $"{marker}@example.org";
        var filed = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(marker, email));
        var caseId = filed.GetProperty("caseId").GetGuid();

        var row = await IntakeService.QueryAsync<(string OwnerKind, string OwnerId, string Status, string Sealed, string Badges, string FiledBy)>(
            """
            select owner_kind, owner_id, status, complainant_sealed::text, array_to_string(subject_officer_badges, ','), filed_by
            from complaints where case_id = @caseId
            """, new { caseId });
        Assert.Equal(("unit", "u-intake-desk", "received"), (row.OwnerKind, row.OwnerId, row.Status));
        Assert.Equal("614,C-2041", row.Badges); // the allegation's officer joined the subjects, upper-cased
        Assert.Equal(IntakeService.ClerkId, row.FiledBy);
        Assert.DoesNotContain(marker, row.Sealed);
        Assert.DoesNotContain("Whitfield", row.Sealed);
        Assert.Equal(1L, await IntakeService.QueryAsync<long>(
            "select count(*) from outbox where message_type like 'Accountability.Contracts.Intake.ComplaintReceived,%' and body->>'caseId' = @id",
            new { id = caseId.ToString() }));

        var (raw, message) = await intake.Received.WaitForCaseAsync(caseId);
        Assert.DoesNotContain(marker, raw);
        Assert.DoesNotContain("Whitfield", raw);
        Assert.DoesNotContain("Officer pushed me", raw); // the narrative stays in intake
        Assert.Equal(1, message.GetProperty("caseVersion").GetInt64());
        Assert.Equal(filed.GetProperty("trackingCode").GetString(), message.GetProperty("trackingCode").GetString());
        // The number is taken last in the filing (issue 18) and stamped on the row and the message as on the receipt.
        var number = filed.GetProperty("caseNumber").GetString();
        Assert.Equal(number, message.GetProperty("caseNumber").GetString());
        Assert.Equal(number, await IntakeService.QueryAsync<string>("select case_number from complaints where case_id = @caseId", new { caseId }));
        Assert.Equal("force", message.GetProperty("category").GetString());
        Assert.Equal("phone", message.GetProperty("channel").GetString());
        Assert.Equal("u-intake-desk", message.GetProperty("intakeDeskUnitId").GetString());
        Assert.Equal(IntakeService.ClerkId, message.GetProperty("actor").GetString());
        Assert.False(message.GetProperty("anonymous").GetBoolean());
        Assert.Equal("test", message.GetProperty("complainant").GetProperty("keyId").GetString());
        Assert.Equal(2, message.GetProperty("allegations").GetArrayLength());
        Assert.All(message.GetProperty("allegations").EnumerateArray(), a => Assert.NotEqual(Guid.Empty, a.GetProperty("allegationId").GetGuid()));

        // The sealed contact opens, with the service's key, to exactly what was filed.
        var protector = new ServiceDefaults.Privacy.ContactProtector(new ServiceDefaults.Privacy.PrivacyOptions
        {
            ActiveKeyId = "test",
            Keys = new() { ["test"] = IntakeService.ContactKey },
        });
        var contact = protector.Unseal("test", message.GetProperty("complainant").GetProperty("ciphertext").GetString()!);
        Assert.Equal(("Dana Whitfield", email, "+15555550123"), (contact.Name, contact.Email, contact.Phone));
    }

    [Fact]
    public async Task A_retry_with_the_same_idempotency_key_returns_the_same_case()
    {
        var key = Guid.NewGuid().ToString();
        var complaint = IntakeService.ClerkComplaint(IntakeService.NewMarker());
        using var first = await intake.FileAsClerkAsync(complaint, key);
        using var retry = await intake.FileAsClerkAsync(complaint, key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        var firstBody = await first.Content.ReadAsStringAsync();
        Assert.Equal(firstBody, await retry.Content.ReadAsStringAsync());
        var caseId = System.Text.Json.JsonDocument.Parse(firstBody).RootElement.GetProperty("caseId").GetGuid();
        Assert.Equal(1L, await IntakeService.QueryAsync<long>(
            "select count(*) from complaints where narrative = @narrative", new { narrative = (string)complaint["narrative"]! }));
        Assert.Equal(1L, await IntakeService.QueryAsync<long>(
            "select count(*) from outbox where body->>'caseId' = @id", new { id = caseId.ToString() }));
    }

    [Fact]
    public async Task A_retry_leaves_no_gap_in_the_case_numbers_and_nothing_half_written()
    {
        static int Sequence(string caseNumber) => int.Parse(caseNumber.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var key = Guid.NewGuid().ToString();
        var complaint = IntakeService.ClerkComplaint(IntakeService.NewMarker());
        var first = await intake.FiledAsClerkAsync(complaint, key);

        // A new filing is written in one round trip; a retry's write is thrown away whole when its key turns out to be used.
        for (var retry = 0; retry < 3; retry++)
            Assert.Equal(first.GetProperty("caseNumber").GetString(), (await intake.FiledAsClerkAsync(complaint, key)).GetProperty("caseNumber").GetString());
        var next = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()));

        // The tests of this assembly run one at a time, so nobody else filed in between.
        Assert.Equal(Sequence(first.GetProperty("caseNumber").GetString()!) + 1, Sequence(next.GetProperty("caseNumber").GetString()!));
        var caseId = first.GetProperty("caseId").GetGuid();
        Assert.Equal(1L, await IntakeService.QueryAsync<long>(
            "select count(*) from complaints where narrative = @narrative", new { narrative = (string)complaint["narrative"]! }));
        Assert.Equal(1L, await IntakeService.QueryAsync<long>("select count(*) from milestones where case_id = @caseId", new { caseId }));
        Assert.Equal(1L, await IntakeService.QueryAsync<long>(
            "select count(*) from outbox where body->>'caseId' = @id", new { id = caseId.ToString() }));
    }

    [Fact]
    public async Task Concurrent_retries_with_one_idempotency_key_make_one_case()
    {
        var key = Guid.NewGuid().ToString();
        var complaint = IntakeService.ClerkComplaint(IntakeService.NewMarker());
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => intake.FileAsClerkAsync(complaint, key)));
        var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Single(bodies.Distinct());
        Assert.Equal(1L, await IntakeService.QueryAsync<long>(
            "select count(*) from complaints where narrative = @narrative", new { narrative = (string)complaint["narrative"]! }));
    }

    [Fact]
    public async Task Twenty_filings_at_once_get_twenty_distinct_case_numbers_above_the_one_before_and_below_the_one_after()
    {
        static int Sequence(System.Text.Json.JsonElement filed) =>
            int.Parse(filed.GetProperty("caseNumber").GetString()!.Split('-')[^1], System.Globalization.CultureInfo.InvariantCulture);
        var before = Sequence(await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker())));

        // Each filing takes the year's counter row in its own transaction; they queue on it, none reuses a number.
        var burst = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()))));
        var after = Sequence(await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker())));

        var numbers = burst.Select(filed => filed.GetProperty("caseNumber").GetString()!).ToList();
        Assert.All(numbers, number => Assert.Matches($"^IA-{DateTimeOffset.UtcNow.Year}-[0-9]{{5}}$", number));
        Assert.Equal(20, numbers.Distinct().Count());
        Assert.All(burst.Select(Sequence), sequence => Assert.InRange(sequence, before + 1, after - 1));
        // The number in the receipt is the one stored with the complaint.
        foreach (var filed in burst)
            Assert.Equal(filed.GetProperty("caseNumber").GetString(), await IntakeService.QueryAsync<string>(
                "select case_number from complaints where case_id = @id", new { id = filed.GetProperty("caseId").GetGuid() }));
    }

    [Fact]
    public async Task The_same_idempotency_key_with_a_different_body_gets_409_problem_json()
    {
        var key = Guid.NewGuid().ToString();
        using var first = await intake.FileAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()), key);
        var otherMarker = IntakeService.NewMarker();
        using var second = await intake.FileAsClerkAsync(IntakeService.ClerkComplaint(otherMarker), key);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0L, await IntakeService.QueryAsync<long>(
            "select count(*) from complaints where narrative like @pattern", new { pattern = $"%{otherMarker}%" }));
    }

    [Fact]
    public async Task An_anonymous_public_complaint_is_filed_on_the_web_channel_without_any_contact()
    {
        var marker = IntakeService.NewMarker();
        using var response = await intake.Client.PostAsJsonAsync("/api/public/complaints", new
        {
            category = "discourtesy",
            narrative = $"The officer at the front desk laughed at me. {marker}",
            complainant = new { anonymous = true },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        var caseId = body.GetProperty("caseId").GetGuid();

        var row = await IntakeService.QueryAsync<(string Channel, bool Anonymous, string? Sealed, string FiledBy)>(
            "select channel, anonymous, complainant_sealed::text, filed_by from complaints where case_id = @caseId", new { caseId });
        Assert.Equal(("web", true, null, "system:public-web"), row);

        var (_, message) = await intake.Received.WaitForCaseAsync(caseId);
        Assert.True(message.GetProperty("anonymous").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, message.GetProperty("complainant").ValueKind);
        Assert.Equal("system:public-web", message.GetProperty("actor").GetString());
    }

    [Theory]
    [InlineData("-05:00")]
    [InlineData("+05:30")]
    [InlineData("+14:00")]
    public async Task A_time_given_with_any_offset_is_filed_and_stored_as_the_same_instant(string offset)
    {
        // Issue 12, finding 2: a non-UTC offset answered 500 ("Cannot write DateTimeOffset with Offset=-05:00:00").
        var given = DateTimeOffset.Parse($"2026-11-20T14:05:00{offset}", System.Globalization.CultureInfo.InvariantCulture);
        var staff = IntakeService.ClerkComplaint(IntakeService.NewMarker());
        staff["occurredAt"] = $"2026-11-20T14:05:00{offset}";
        var filed = await intake.FiledAsClerkAsync(staff);

        using var fromPublic = await intake.Client.PostAsJsonAsync("/api/public/complaints", new
        {
            category = "discourtesy",
            narrative = $"The officer laughed at me. {IntakeService.NewMarker()}",
            occurredAt = $"2026-11-20T14:05:00{offset}",
            complainant = new { anonymous = true },
        });
        Assert.Equal(HttpStatusCode.Created, fromPublic.StatusCode);
        var publicCase = (await fromPublic.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("caseId").GetGuid();

        foreach (var caseId in new[] { filed.GetProperty("caseId").GetGuid(), publicCase })
        {
            var stored = await IntakeService.QueryAsync<DateTime>("select occurred_at from complaints where case_id = @caseId", new { caseId });
            Assert.Equal(given.UtcDateTime, DateTime.SpecifyKind(stored, DateTimeKind.Utc));
        }
    }

    [Fact]
    public async Task A_public_complaint_always_has_an_allegation_even_against_an_officer_nobody_could_identify()
    {
        // Issue 12, finding 3: public complaints had no allegations, so no finding could ever be recorded.
        async Task<(List<(string Type, string Badge, string? Description)> Allegations, string Badges)> FileAsync(object body)
        {
            using var response = await intake.Client.PostAsJsonAsync("/api/public/complaints", body);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var caseId = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("caseId").GetGuid();
            var (_, message) = await intake.Received.WaitForCaseAsync(caseId);
            var allegations = message.GetProperty("allegations").EnumerateArray().Select(a => (
                a.GetProperty("type").GetString()!, a.GetProperty("officerBadge").GetString()!,
                a.TryGetProperty("officerDescription", out var d) && d.ValueKind == System.Text.Json.JsonValueKind.String ? d.GetString() : null)).ToList();
            return (allegations, string.Join(",", message.GetProperty("subjectOfficerBadges").EnumerateArray().Select(b => b.GetString())));
        }

        var unknown = await FileAsync(new { category = "discourtesy", narrative = $"Rude. {IntakeService.NewMarker()}", complainant = new { anonymous = true } });
        Assert.Equal([("discourtesy", "", (string?)null)], unknown.Allegations);
        Assert.Equal("", unknown.Badges);

        var described = await FileAsync(new
        {
            category = "force", narrative = $"Pushed. {IntakeService.NewMarker()}", complainant = new { anonymous = true },
            allegations = new[] { new { type = "force", officerBadge = (string?)null, officerDescription = "tall, grey moustache, car 41" } },
        });
        Assert.Equal([("force", "", "tall, grey moustache, car 41")], described.Allegations);

        var named = await FileAsync(new { category = "force", narrative = $"Pushed. {IntakeService.NewMarker()}", complainant = new { anonymous = true }, subjectOfficers = new[] { "1569" } });
        Assert.Equal([("force", "1569", (string?)null)], named.Allegations);
        Assert.Equal("1569", named.Badges);
    }

    [GeneratedRegex("^RPD(-[0-9A-HJKMNP-TV-Z]{4}){4}$")]
    private static partial Regex TrackingCodeFormat();
}
