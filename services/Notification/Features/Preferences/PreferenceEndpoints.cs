using Accountability.Messaging.Database;
using Accountability.Notification.Data;
using Accountability.Notification.Features.Planning;
using Accountability.ServiceDefaults.Http;
using Accountability.ServiceDefaults.Security;
using Dapper;

namespace Accountability.Notification.Features.Preferences;

public sealed record PreferenceRequest(IReadOnlyList<string>? Channels);

/// <summary>A member of staff chooses the channels they are told on. Only they, or an admin, may.</summary>
public static class PreferenceEndpoints
{
    public static IEndpointRouteBuilder MapPreferences(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/preferences").RequireAuthorization();

        group.MapGet("/{personId}", async (string personId, HttpContext http, ServiceDatabase database, CancellationToken cancellationToken) =>
        {
            if (!MayManage(http, personId))
                return Forbidden(personId);
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var chosen = await connection.QuerySingleOrDefaultAsync<string[]?>(new CommandDefinition(
                "select channels from person_preferences where person_id = @personId", new { personId }, cancellationToken: cancellationToken));
            return Results.Ok(new { personId, channels = chosen ?? [.. Channels.All], chosen = chosen is not null });
        });

        group.MapPut("/{personId}", async (string personId, HttpContext http, ServiceDatabase database, DirectoryCopy directory, CancellationToken cancellationToken) =>
        {
            if (!MayManage(http, personId))
                return Forbidden(personId);
            var body = await JsonRequestBody.ReadAsync<PreferenceRequest>(http.Request, cancellationToken: cancellationToken);
            if (!body.IsValid)
                return body.Problem!;
            var channels = body.Value!.Channels;
            if (channels is null || channels.Count == 0)
                return Invalid("channels", "Choose at least one channel: " + string.Join(", ", Channels.All) + ".");
            var unknown = channels.Where(c => !Channels.All.Contains(c)).ToList();
            if (unknown.Count > 0)
                return Invalid("channels", $"Unknown channel(s) {string.Join(", ", unknown.Select(c => $"'{c}'"))}; the channels are {string.Join(", ", Channels.All)}.");

            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var chart = await directory.CurrentAsync(connection, null, cancellationToken);
            if (chart is not null && chart.Person(personId) is null)
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown person",
                    detail: $"'{personId}' is not a person in directory version {chart.Version}.");
            var distinct = channels.Distinct(StringComparer.Ordinal).ToArray();
            await connection.ExecuteAsync(new CommandDefinition(
                """
                insert into person_preferences (person_id, channels, updated_by) values (@personId, @distinct, @actor)
                on conflict (person_id) do update set channels = excluded.channels, updated_by = excluded.updated_by, updated_at = now()
                """, new { personId, distinct, actor = http.User.PersonId() }, cancellationToken: cancellationToken));
            return Results.Ok(new { personId, channels = distinct, chosen = true });
        });
        return app;
    }

    private static bool MayManage(HttpContext http, string personId) =>
        http.User.PersonId() == personId || http.User.IsInRole(Roles.Admin);

    private static IResult Forbidden(string personId) =>
        Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your preferences",
            detail: $"Only {personId} or an admin may read or change these preferences.");

    private static IResult Invalid(string field, string message) =>
        Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
