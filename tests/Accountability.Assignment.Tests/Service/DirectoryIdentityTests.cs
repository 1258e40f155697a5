using System.Net;
using Accountability.ServiceDefaults.Security;
using Accountability.TestSupport;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>
/// Identity from the directory, not the token (issue 17, finding 4): the services once trusted a token's
/// <c>sub</c> and <c>role</c> and never consulted the directory.
/// </summary>
[Collection(nameof(AssignmentService))]
public sealed class DirectoryIdentityTests(AssignmentService service)
{
    [Fact]
    public async Task A_person_marked_inactive_is_refused_at_once_even_with_a_valid_token()
    {
        // p-1017 is an internal-affairs investigator marked active: false in the directory.
        var token = TestTokens.For("p-1017", Roles.Investigator);

        var status = await Eventually.ReturnsAsync(async () =>
        {
            using var response = await service.SendAsync(HttpMethod.Get, "/api/me/inbox", token);
            return response.StatusCode;
        }, s => s == HttpStatusCode.Forbidden, "the directory reached the service");

        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task A_subject_that_is_not_in_the_directory_cannot_rewrite_the_directory_even_with_an_admin_role()
    {
        await WaitForDirectoryAsync();

        using var put = await service.SendAsync(HttpMethod.Put, "/api/directory", TestTokens.For("p-9999", Roles.Admin),
            new { department = "Taken over", intakeDeskUnitId = "u-intake-desk", units = Array.Empty<object>(), people = Array.Empty<object>(), routingRules = Array.Empty<object>() });

        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Contains("not in the directory", await put.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_token_can_only_narrow_the_roles_the_directory_gives()
    {
        await WaitForDirectoryAsync();

        // p-1014 is an investigator; a token that also claims admin does not make them one.
        using var outbox = await service.SendAsync(HttpMethod.Get, "/api/ops/outbox", TestTokens.For("p-1014", Roles.Investigator, Roles.Admin));
        Assert.Equal(HttpStatusCode.Forbidden, outbox.StatusCode);
        using var inbox = await service.SendAsync(HttpMethod.Get, "/api/me/inbox", TestTokens.For("p-1014", Roles.Investigator, Roles.Admin));
        Assert.Equal(HttpStatusCode.OK, inbox.StatusCode);
        using var realAdmin = await service.SendAsync(HttpMethod.Get, "/api/ops/outbox", TestTokens.For("p-1005", Roles.Admin));
        Assert.Equal(HttpStatusCode.OK, realAdmin.StatusCode);
    }

    [Fact]
    public async Task Outside_development_a_service_that_has_no_directory_yet_refuses_every_caller_with_503_until_the_directory_arrives()
    {
        // Intake in a database and on a virtual host of its own, where no directory was ever published, run as a deployment
        // would (Production): until one arrives, no token is trusted, whatever roles it claims.
        var database = IsolatedDatabase.NewName("directory_closed");
        var connectionString = await IsolatedDatabase.CreateAsync(TestEnvironment.PostgresConnectionString, database);
        try
        {
            await using var vhost = await IsolatedVirtualHost.CreateAsync("directory-closed");
            var isolation = new Dictionary<string, string>
            {
                ["ConnectionStrings__Accountability"] = connectionString,
                ["RabbitMq__Uri"] = vhost.AmqpUri,
            };
            await using var intake = await ServiceProcess.StartAsync("Intake", new Dictionary<string, string>(isolation) { ["ASPNETCORE_ENVIRONMENT"] = "Production" });

            foreach (var token in new[] { TestTokens.For("p-1005", Roles.Admin), TestTokens.For("p-9999", Roles.Admin) })
            {
                var refused = await intake.GetAsync("/api/ops/outbox", token);
                Assert.True(refused.Status == HttpStatusCode.ServiceUnavailable, refused.ToString());
                Assert.Equal("application/problem+json", refused.ContentType);
                Assert.Equal("The directory has not arrived yet", refused.Json.GetProperty("title").GetString());
            }
            Assert.DoesNotContain("token roles are trusted", intake.Output, StringComparison.Ordinal);

            // Assignment seeds the directory and publishes it; from then on the directory, not the token, decides.
            await using var assignment = await ServiceProcess.StartAsync("Assignment", isolation);
            var admin = await Eventually.ReturnsAsync(() => intake.GetAsync("/api/ops/outbox", TestTokens.For("p-1005", Roles.Admin)),
                r => r.Status != HttpStatusCode.ServiceUnavailable, "the directory reaches intake", TimeSpan.FromSeconds(60));
            Assert.True(admin.Status == HttpStatusCode.OK, admin.ToString());
            var stranger = await intake.GetAsync("/api/ops/outbox", TestTokens.For("p-9999", Roles.Admin));
            Assert.True(stranger.Status == HttpStatusCode.Forbidden, stranger.ToString());
        }
        finally
        {
            await IsolatedDatabase.DropAsync(TestEnvironment.PostgresConnectionString, database);
        }
    }

    private Task WaitForDirectoryAsync() => Eventually.ReturnsAsync(async () =>
    {
        using var response = await service.SendAsync(HttpMethod.Get, "/api/me/inbox", TestTokens.For("p-9999", Roles.Investigator));
        return response.StatusCode;
    }, s => s == HttpStatusCode.Forbidden, "the directory reached the service");
}
