using System.Net;
using System.Text.Json;
using Accountability.Contracts.Custody;
using Accountability.Contracts.Directory;
using Accountability.Messaging.Bus;
using Accountability.TestSupport;
using MassTransit;
using Xunit;

namespace Accountability.Intake.Tests;

[Collection(nameof(IntakeService))]
public sealed class PublicStatusTests(IntakeService intake)
{
    private const string Investigator = "p-1012"; // a member of the Internal Affairs Division in the sample department

    [Fact]
    public async Task The_status_follows_custody_events_and_shows_the_owners_unit_without_any_personal_details()
    {
        await PublishSampleDirectoryAsync();
        var marker = IntakeService.NewMarker();
        var filed = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(marker));
        var caseId = filed.GetProperty("caseId").GetGuid();
        var code = filed.GetProperty("trackingCode").GetString()!;
        var allegationIds = await IntakeService.QueryAsync<string>(
            "select string_agg(a->>'allegationId', ',' order by a->>'officerBadge') from complaints, jsonb_array_elements(allegations) a where case_id = @caseId", new { caseId });
        var now = DateTimeOffset.UtcNow;

        await intake.Bus.Publish(new CaseRouted
        {
            CaseId = caseId, CaseVersion = 3, Actor = "system:routing", Reason = "force → internal affairs", OccurredAt = now.AddSeconds(1),
            UnitId = "u-internal-affairs", ToOwnerKind = "person", ToOwnerId = Investigator,
        });
        await intake.Bus.Publish(new CustodyTransferred
        {
            CaseId = caseId, CaseVersion = 4, Actor = "system:routing", Reason = "", OccurredAt = now.AddSeconds(1),
            FromOwnerKind = "unit", FromOwnerId = "u-intake-desk", ToOwnerKind = "person", ToOwnerId = Investigator, TransferKind = "routed",
        });
        await intake.Bus.Publish(new ComplainantContacted
        {
            CaseId = caseId, CaseVersion = 5, Actor = Investigator, Reason = "", OccurredAt = now.AddSeconds(2),
            OwnerKind = "person", OwnerId = Investigator,
        });
        await intake.Bus.Publish(new CaseResolved
        {
            CaseId = caseId, CaseVersion = 6, Actor = Investigator, Reason = "", OccurredAt = now.AddSeconds(3),
            OwnerKind = "person", OwnerId = Investigator,
            Findings =
            [
                .. allegationIds.Split(',').Zip(new[] { "sustained", "unfounded" }, (id, finding) => new AllegationFinding { AllegationId = id, Finding = finding }),
                // Added while investigating: intake never saw it filed, the finding names its kind.
                new AllegationFinding { AllegationId = Guid.NewGuid().ToString(), Finding = "not-sustained", AllegationType = "offensive-language" },
            ],
        });

        var status = await Eventually.ReturnsAsync(() => StatusAsync(code),
            s => s.Milestones.Contains("contacted") && s.Milestones.Contains("resolved") && s.Milestones.Contains("routed") && s.Status == "resolved",
            "the status shows every milestone");

        Assert.Equal(["received", "routed", "contacted", "resolved"], status.Milestones);
        Assert.Equal("Internal Affairs Division", status.Body.GetProperty("responsibleUnit").GetString());
        Assert.DoesNotContain(marker, status.Raw); // no narrative
        Assert.DoesNotContain("Whitfield", status.Raw);
        Assert.DoesNotContain(Investigator, status.Raw);
        Assert.DoesNotContain("@", status.Raw);

        // After resolution the complainant sees each allegation's finding (never a badge or a name) and whom to ask for a review.
        Assert.Equal(["force: sustained", "discourtesy: unfounded", "offensive-language: not-sustained"],
            status.Body.GetProperty("outcome").EnumerateArray().Select(o => $"{o.GetProperty("allegation").GetString()}: {o.GetProperty("finding").GetString()}"));
        Assert.Contains("review", status.Body.GetProperty("outcomeContact").GetString());
        // The badge as a number of its own: a timestamp's fraction of a second may hold the same digits (…50.614793Z).
        Assert.DoesNotMatch(@"(?<![0-9])614(?![0-9])", status.Raw);
    }

    [Fact]
    public async Task The_status_follows_custody_events_that_come_one_message_per_transaction_as_if_each_had_come_alone()
    {
        await PublishSampleDirectoryAsync();
        var filed = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()));
        var caseId = filed.GetProperty("caseId").GetGuid();
        var code = filed.GetProperty("trackingCode").GetString()!;
        var now = DateTimeOffset.UtcNow;
        object[][] transactions =
        [
            [
                new CaseRouted
                {
                    CaseId = caseId, CaseVersion = 3, Actor = "system:routing", Reason = "force → internal affairs", OccurredAt = now.AddSeconds(1),
                    UnitId = "u-internal-affairs", ToOwnerKind = "person", ToOwnerId = Investigator,
                },
                new CustodyTransferred
                {
                    CaseId = caseId, CaseVersion = 4, Actor = "system:routing", Reason = "", OccurredAt = now.AddSeconds(1),
                    FromOwnerKind = "unit", FromOwnerId = "u-intake-desk", ToOwnerKind = "person", ToOwnerId = Investigator, TransferKind = "routed",
                },
            ],
            [
                new ComplainantContacted
                {
                    CaseId = caseId, CaseVersion = 5, Actor = Investigator, Reason = "", OccurredAt = now.AddSeconds(2), OwnerKind = "person", OwnerId = Investigator,
                },
            ],
        ];
        var envelopes = transactions.Select(events => CaseEventsEnvelope.Of(caseId, events)).ToList();
        foreach (var envelope in envelopes)
            await intake.Bus.Publish(envelope);

        var status = await Eventually.ReturnsAsync(() => StatusAsync(code),
            s => s.Milestones.Contains("routed") && s.Milestones.Contains("contacted"), "the status shows the routing and the contact");
        Assert.Equal(["received", "routed", "contacted"], status.Milestones);
        Assert.Equal("Internal Affairs Division", status.Body.GetProperty("responsibleUnit").GetString());
        // Each event the view shows was applied under its own id; the routed transfer, which it does not show, under none.
        var ids = envelopes.SelectMany(e => e.Events).Select(e => e.EventId).ToArray();
        await using var connection = await TestDatabase.OpenAsync("intake");
        var applied = await Dapper.SqlMapper.QueryAsync<Guid>(connection, "select message_id from inbox where message_id = any(@ids)", new { ids });
        Assert.Equal(new[] { envelopes[0].Events[0].EventId, envelopes[1].Events[0].EventId }.Order(), applied.Order());
    }

    [Fact]
    public async Task Receipt_and_routing_transfers_cost_no_transaction_as_the_filing_and_CaseRouted_already_say_it()
    {
        await PublishSampleDirectoryAsync();
        var filed = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()));
        var caseId = filed.GetProperty("caseId").GetGuid();
        var code = filed.GetProperty("trackingCode").GetString()!;
        var now = DateTimeOffset.UtcNow;
        var (received, routed, contacted) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        await intake.Bus.Publish(new CustodyTransferred
        {
            CaseId = caseId, CaseVersion = 2, Actor = "system:intake", Reason = "", OccurredAt = now,
            ToOwnerKind = "unit", ToOwnerId = "u-intake-desk", TransferKind = "received",
        }, context => context.MessageId = received);
        await intake.Bus.Publish(new CaseRouted
        {
            CaseId = caseId, CaseVersion = 3, Actor = "system:routing", Reason = "force → internal affairs", OccurredAt = now,
            UnitId = "u-internal-affairs", ToOwnerKind = "person", ToOwnerId = Investigator,
        });
        await intake.Bus.Publish(new CustodyTransferred
        {
            CaseId = caseId, CaseVersion = 4, Actor = "system:routing", Reason = "", OccurredAt = now,
            FromOwnerKind = "unit", FromOwnerId = "u-intake-desk", ToOwnerKind = "person", ToOwnerId = Investigator, TransferKind = "routed",
        }, context => context.MessageId = routed);
        // Events of one case are consumed in order: once this one is in the inbox, the two transfers were consumed too.
        await intake.Bus.Publish(new ComplainantContacted
        {
            CaseId = caseId, CaseVersion = 5, Actor = Investigator, Reason = "", OccurredAt = now.AddSeconds(1), OwnerKind = "person", OwnerId = Investigator,
        }, context => context.MessageId = contacted);
        await Eventually.HoldsAsync(async () => await IntakeService.QueryAsync<long>(
            "select count(*) from inbox where message_id = @contacted", new { contacted }) == 1, "the contact is consumed");

        Assert.Equal(0, await IntakeService.QueryAsync<long>("select count(*) from inbox where message_id = any(@ids)", new { ids = new[] { received, routed } }));
        var status = await StatusAsync(code);
        Assert.Equal(["received", "routed", "contacted"], status.Milestones);
        Assert.Equal("assigned", status.Status);
        Assert.Equal("Internal Affairs Division", status.Body.GetProperty("responsibleUnit").GetString());
    }

    [Fact]
    public async Task The_broker_brings_public_status_only_the_custody_moves_it_shows_and_an_old_publishers_still_arrive()
    {
        // Bound by kind (and by the empty key of an assignment from before): receipt and routing never reach the queue.
        var (host, port, virtualHost, user, password) = new RabbitMqOptions { Uri = TestEnvironment.RabbitMqUri }.Parse();
        Assert.Equal(["", "escalated", "handoff", "reassigned", "reopened"],
            await IsolatedVirtualHost.BindingKeysAsync(virtualHost, CustodyTransferRouting.ExchangeByKind, "public-status"));
        // Transfers reach the queue through the topic exchange only, or they would come twice.
        var fromFanout = await IsolatedVirtualHost.BindingsFromAsync(virtualHost, CustodyTransferRouting.FanoutExchange);
        Assert.Contains(fromFanout, b => b.Destination == CustodyTransferRouting.ExchangeByKind);
        Assert.DoesNotContain(fromFanout, b => b.Destination.EndsWith("public-status", StringComparison.Ordinal));

        // An assignment instance not yet upgraded publishes without a key: its moves still show.
        await PublishSampleDirectoryAsync();
        var filed = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()));
        var caseId = filed.GetProperty("caseId").GetGuid();
        var code = filed.GetProperty("trackingCode").GetString()!;
        var oldPublisher = MassTransit.Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(host, port, virtualHost, h =>
        {
            h.Username(user);
            h.Password(password);
        }));
        await oldPublisher.StartAsync();
        try
        {
            await oldPublisher.Publish(new CustodyTransferred
            {
                CaseId = caseId, CaseVersion = 5, Actor = Investigator, Reason = "second opinion", OccurredAt = DateTimeOffset.UtcNow,
                FromOwnerKind = "person", FromOwnerId = Investigator, ToOwnerKind = "unit", ToOwnerId = "u-internal-affairs", TransferKind = TransferKinds.Handoff,
            });
            var status = await Eventually.ReturnsAsync(() => StatusAsync(code), s => s.Milestones.Contains("transferred"), "the old publisher's handoff shows");
            Assert.Equal("Internal Affairs Division", status.Body.GetProperty("responsibleUnit").GetString());
        }
        finally
        {
            await oldPublisher.StopAsync();
        }
    }

    [Fact]
    public async Task A_stale_custody_event_adds_its_milestone_but_does_not_roll_the_status_back()
    {
        await PublishSampleDirectoryAsync();
        var filed = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()));
        var caseId = filed.GetProperty("caseId").GetGuid();
        var code = filed.GetProperty("trackingCode").GetString()!;

        await intake.Bus.Publish(new CaseResolved
        {
            CaseId = caseId, CaseVersion = 6, Actor = Investigator, Reason = "", OccurredAt = DateTimeOffset.UtcNow,
            OwnerKind = "person", OwnerId = Investigator, Findings = [],
        });
        await Eventually.ReturnsAsync(() => StatusAsync(code), s => s.Status == "resolved", "the case shows as resolved");

        // Version 3 arrives late: it names another unit, which must not become the responsible one.
        await intake.Bus.Publish(new CaseRouted
        {
            CaseId = caseId, CaseVersion = 3, Actor = "system:routing", Reason = "", OccurredAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            UnitId = "u-patrol-2", ToOwnerKind = "unit", ToOwnerId = "u-patrol-2",
        });
        var status = await Eventually.ReturnsAsync(() => StatusAsync(code), s => s.Milestones.Contains("routed"), "the late milestone is recorded");

        Assert.Equal("resolved", status.Status);
        Assert.Equal("Internal Affairs Division", status.Body.GetProperty("responsibleUnit").GetString());
        Assert.Equal(6L, await IntakeService.QueryAsync<long>("select status_version from complaints where case_id = @caseId", new { caseId }));
    }

    [Fact]
    public async Task An_anonymous_complainant_sees_the_status_without_the_contact_milestone()
    {
        var response = await intake.Client.PostAsync("/api/public/complaints", new StringContent(
            """{"category":"other","narrative":"Nobody came when I called.","complainant":{"anonymous":true}}""",
            System.Text.Encoding.UTF8, "application/json"));
        var filed = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var caseId = filed.GetProperty("caseId").GetGuid();
        var code = filed.GetProperty("trackingCode").GetString()!;

        await intake.Bus.Publish(new ComplainantContacted
        {
            CaseId = caseId, CaseVersion = 5, Actor = Investigator, Reason = "", OccurredAt = DateTimeOffset.UtcNow,
            OwnerKind = "person", OwnerId = Investigator,
        });
        await Eventually.HoldsAsync(async () => await IntakeService.QueryAsync<long>(
            "select count(*) from milestones where case_id = @caseId and milestone = 'contacted'", new { caseId }) == 1,
            "the contact milestone is stored");

        var status = await StatusAsync(code);
        Assert.Equal(["received"], status.Milestones);
        Assert.Contains("anonymous", status.Body.GetProperty("note").GetString());
    }

    [Fact]
    public async Task A_code_typed_in_lower_case_without_hyphens_finds_the_case()
    {
        var filed = await intake.FiledAsClerkAsync(IntakeService.ClerkComplaint(IntakeService.NewMarker()));
        var code = filed.GetProperty("trackingCode").GetString()!;
        var status = await StatusAsync(code.Replace("-", "").ToLowerInvariant());
        Assert.Equal("received", status.Status);
        Assert.Equal("Complaint Intake Duty Desk", status.Body.GetProperty("responsibleUnit").GetString());
    }

    [Theory]
    [InlineData("RPD-0000-0000-0000-0000")]
    [InlineData("not-a-code")]
    [InlineData("RPD-ZZZZ-ZZZZ-ZZZZ-ZZZ")]
    public async Task An_unknown_code_gets_404_problem_json(string code)
    {
        using var response = await intake.Client.GetAsync($"/api/public/status/{Uri.EscapeDataString(code)}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unknown_code_and_a_malformed_one_get_the_same_answer()
    {
        // The answer must not tell a guesser whether a string had the shape of a code; both are an ordinary miss.
        // (Timing is the rate limiter's job and is not measured in unit tests.)
        var unknown = "RPD-" + string.Join('-', Enumerable.Range(0, 4).Select(_ => "HJKM"));
        using var miss = await intake.Client.GetAsync($"/api/public/status/{unknown}");
        using var malformed = await intake.Client.GetAsync("/api/public/status/not-a-code");
        Assert.Equal(HttpStatusCode.NotFound, miss.StatusCode);
        Assert.Equal(miss.StatusCode, malformed.StatusCode);
        var missBody = JsonDocument.Parse(await miss.Content.ReadAsStringAsync()).RootElement;
        var malformedBody = JsonDocument.Parse(await malformed.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(missBody.GetProperty("title").GetString(), malformedBody.GetProperty("title").GetString());
        Assert.Equal(missBody.GetProperty("detail").GetString(), malformedBody.GetProperty("detail").GetString());
    }

    private async Task PublishSampleDirectoryAsync()
    {
        var directory = JsonSerializer.Deserialize<OrgDirectory>(
            await File.ReadAllTextAsync(RepositoryPaths.File("deploy", "org", "directory.json")), JsonSerializerOptions.Web)!;
        var current = await IntakeService.QueryAsync<long>("select coalesce(max(version), 0) from directory_version");
        await intake.Bus.Publish(new DirectoryPublished
        {
            Version = current + 1, Directory = directory, PublishedAt = DateTimeOffset.UtcNow, Actor = "system:test", Reason = "sample department",
        });
        await Eventually.HoldsAsync(async () =>
            await IntakeService.QueryAsync<long>("select coalesce(max(version), 0) from directory_version") > current
            && await IntakeService.QueryAsync<long>("select count(*) from directory_units where unit_id = 'u-internal-affairs'") == 1,
            "intake has a copy of the sample directory");
    }

    private async Task<(string Status, List<string> Milestones, JsonElement Body, string Raw)> StatusAsync(string code)
    {
        using var response = await intake.Client.GetAsync($"/api/public/status/{code}");
        var raw = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, raw);
        var body = JsonDocument.Parse(raw).RootElement.Clone();
        var milestones = body.GetProperty("milestones").EnumerateArray().Select(m => m.GetProperty("milestone").GetString()!).ToList();
        return (body.GetProperty("status").GetString()!, milestones, body, raw);
    }
}
