using Accountability.TestSupport;
using Dapper;
using Xunit;

namespace Accountability.Assignment.Tests.Service;

/// <summary>
/// The directory in force is announced again on a schedule: on a fresh broker, with everything starting at once, a
/// service whose queue did not exist yet when assignment first published it never got it (found by make compose-check).
/// </summary>
// In the service's collection: a second instance on the same schema, never while its tests run in parallel.
[Collection(nameof(AssignmentService))]
public sealed class DirectoryAnnouncementTests
{
    private const string Again = "Announced again for services that missed it";

    [Fact]
    public async Task An_instance_announces_the_directory_in_force_again_every_announce_interval()
    {
        var before = await AnnouncementsAsync();

        await using var second = await ServiceProcess.StartAsync("Assignment", new Dictionary<string, string> { ["Directory__AnnounceEvery"] = "00:00:01" });

        // One announcement at start, then one a second: the same version each time, so consumers that have it ignore it.
        await Eventually.HoldsAsync(async () => await AnnouncementsAsync() >= before + 3, "the directory is announced again and again", TimeSpan.FromMinutes(1));
        await using var connection = await TestDatabase.OpenAsync("assignment");
        var versions = (await connection.QueryAsync<long>(
            "select distinct (body->>'version')::bigint from outbox where message_type like 'Accountability.Contracts.Directory.DirectoryPublished,%' and body->>'reason' = @Again",
            new { Again })).ToList();
        var inForce = await connection.ExecuteScalarAsync<long>("select max(version) from directory_versions");
        Assert.Equal([inForce], versions);
    }

    [Fact]
    public async Task An_announce_interval_that_is_not_a_positive_time_span_stops_the_start_naming_the_setting() =>
        Assert.Contains("Directory:AnnounceEvery must be a positive time span",
            await ServiceProcess.OutputOfRefusedStartAsync("Assignment", new Dictionary<string, string> { ["Directory__AnnounceEvery"] = "soon" }),
            StringComparison.Ordinal);

    private static async Task<long> AnnouncementsAsync()
    {
        await using var connection = await TestDatabase.OpenAsync("assignment");
        return await connection.ExecuteScalarAsync<long>(
            "select count(*) from outbox where message_type like 'Accountability.Contracts.Directory.DirectoryPublished,%' and body->>'reason' = @Again", new { Again });
    }
}
