using Accountability.Messaging.Database;
using Accountability.Notification.Features.Delivery;
using Accountability.ServiceDefaults.Security;
using Dapper;

namespace Accountability.Notification.Features.Notifications;

/// <summary>The delivery log: what was sent to whom (by role and person id, never by address), and a re-drive for what failed.</summary>
public static class NotificationEndpoints
{
    // Least privilege: the log spans every case and shows whether a complainant is anonymous, so case workers
    // (a subject officer among them) never read it; operators re-drive, auditors review.
    private static readonly string[] Readers = [Roles.Auditor, Roles.Admin];
    private static readonly string[] Operators = [Roles.Admin];

    private const string Columns =
        """
        id as Id, case_id as CaseId, recipient_role as RecipientRole, recipient_id as RecipientPersonId, channel as Channel,
        template as Template, status as Status, attempts as Attempts, sent_at as SentAt, failed_at as FailedAt,
        last_error as LastError, created_at as CreatedAt
        """;

    public static IEndpointRouteBuilder MapNotifications(this IEndpointRouteBuilder app)
    {
        var reads = app.MapGroup("/api/notifications").RequireAuthorization(policy => policy.RequireRole(Readers));
        var operations = app.MapGroup("/api/notifications").RequireAuthorization(policy => policy.RequireRole(Operators));

        reads.MapGet("", async (Guid? caseId, int? limit, ServiceDatabase database, CancellationToken cancellationToken) =>
        {
            if (limit is < 1 or > 500)
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["Must be between 1 and 500."] });
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var items = await connection.QueryAsync<NotificationItem>(new CommandDefinition(
                $"""
                select {Columns} from deliveries
                where @caseId::uuid is null or case_id = @caseId
                order by created_at desc, id limit @limit
                """, new { caseId, limit = limit ?? 100 }, cancellationToken: cancellationToken));
            return Results.Ok(items);
        });

        reads.MapGet("/{id:guid}", async (Guid id, ServiceDatabase database, CancellationToken cancellationToken) =>
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var item = await FindAsync(connection, id, cancellationToken);
            if (item is null)
                return NotFound(id);
            var attempts = await connection.QueryAsync<AttemptItem>(new CommandDefinition(
                """
                select attempt as Attempt, started_at as StartedAt, finished_at as FinishedAt, outcome as Outcome, detail as Detail
                from delivery_attempts where delivery_id = @id order by attempt
                """, new { id }, cancellationToken: cancellationToken));
            return Results.Ok(new { notification = item, attempts });
        });

        operations.MapGet("/failed", async (int? limit, ServiceDatabase database, CancellationToken cancellationToken) =>
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            return Results.Ok(await connection.QueryAsync<NotificationItem>(new CommandDefinition(
                $"select {Columns} from deliveries where status = 'failed' order by failed_at desc, id limit @limit",
                new { limit = Math.Clamp(limit ?? 100, 1, 500) }, cancellationToken: cancellationToken)));
        });

        operations.MapPost("/{id:guid}/retry", async (Guid id, ServiceDatabase database, DeliveryWakeup wakeup, CancellationToken cancellationToken) =>
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            // A fresh retry budget; the attempt count and the attempt log carry on.
            var redriven = await connection.ExecuteAsync(new CommandDefinition(
                """
                update deliveries set status = 'pending', round_attempts = 0, next_attempt_at = now(), failed_at = null
                where id = @id and status = 'failed'
                """, new { id }, cancellationToken: cancellationToken));
            var item = await FindAsync(connection, id, cancellationToken);
            if (item is null)
                return NotFound(id);
            if (redriven == 0)
                return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not failed",
                    detail: $"Notification {id} is {item.Status}; only a failed notification can be re-driven.");
            wakeup.Signal();
            return Results.Accepted($"/api/notifications/{id}", item);
        });
        return app;
    }

    private static Task<NotificationItem?> FindAsync(Npgsql.NpgsqlConnection connection, Guid id, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<NotificationItem>(new CommandDefinition(
            $"select {Columns} from deliveries where id = @id", new { id }, cancellationToken: cancellationToken));

    private static IResult NotFound(Guid id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown notification", detail: $"There is no notification {id}.");

    public sealed record NotificationItem(
        Guid Id, Guid? CaseId, string RecipientRole, string? RecipientPersonId, string Channel, string Template, string Status,
        int Attempts, DateTime? SentAt, DateTime? FailedAt, string? LastError, DateTime CreatedAt);

    public sealed record AttemptItem(int Attempt, DateTime StartedAt, DateTime FinishedAt, string Outcome, string? Detail);
}
