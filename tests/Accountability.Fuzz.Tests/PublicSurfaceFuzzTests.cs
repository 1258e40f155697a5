using System.Globalization;
using Accountability.Chaos.Fuzz;
using Accountability.TestSupport;
using Xunit;
using Xunit.Abstractions;

namespace Accountability.Fuzz.Tests;

/// <summary>
/// The small version of the fuzz campaign of `make chaos` (issue 7 part 4): generated malformed
/// requests against intake (staff and public JSON, Open311 form, reads) and assignment (every write
/// endpoint, the directory, the queries). Intake and assignment run as real processes in a database and
/// a virtual host of their own, so the row counts see nothing but these requests.
/// The seed is printed; FUZZ_SEED and FUZZ_REQUESTS override it and the size.
/// </summary>
public sealed class PublicSurfaceFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Malformed_requests_get_no_5xx_crash_nothing_and_store_nothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : 20_260_307;
        var requests = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_REQUESTS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 500;
        output.WriteLine($"fuzz seed {seed}, {requests} requests (FUZZ_SEED / FUZZ_REQUESTS override)");

        var database = $"fuzz_{Guid.NewGuid():N}"[..20];
        var connectionString = await IsolatedDatabase.CreateAsync(TestEnvironment.PostgresConnectionString, database);
        try
        {
            await using var vhost = await IsolatedVirtualHost.CreateAsync("fuzz");
            var open311Key = $"fuzz-open311-{Guid.NewGuid():N}";
            var settings = new Dictionary<string, string>
            {
                ["ConnectionStrings__Accountability"] = connectionString,
                ["RabbitMq__Uri"] = vhost.AmqpUri,
                ["Open311__ApiKeys__0"] = open311Key,
                ["Intake__PublicFilingLimit__PermitLimit"] = "10000000",
                ["Intake__PublicStatusLimit__PermitLimit"] = "10000000",
                ["Logging__LogLevel__Default"] = "Warning",
            };
            await using var intake = await ServiceProcess.StartAsync("Intake", settings);
            await using var assignment = await ServiceProcess.StartAsync("Assignment", settings);
            var context = await FuzzSetup.PrepareAsync(intake.BaseAddress, assignment.BaseAddress, TestTokens.SigningKey,
                RepositoryPaths.File("deploy", "org", "directory.json"), open311Key);

            var report = await FuzzCampaign.RunAsync(new FuzzGenerator(seed, context), requests, 4, intake.BaseAddress, assignment.BaseAddress,
                connectionString,
                () => [.. new[] { intake, assignment }.Where(p => p.HasExited).Select(p => $"{p.Name} exited:\n{string.Join('\n', p.Output.Split('\n').TakeLast(30))}")],
                output.WriteLine);

            output.WriteLine(report.Summary());
            Assert.True(report.Holds, report.Summary());
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await IsolatedDatabase.DropAsync(TestEnvironment.PostgresConnectionString, database);
        }
    }
}
