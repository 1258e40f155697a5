using Accountability.Messaging.Database;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Accountability.Messaging.Operations;

public static class OutboxOperationsEndpoints
{
    /// <summary>
    /// GET /api/ops/outbox: how far behind this service's relay is, and any rows set aside as
    /// unpublishable. Admins only; it shows message types and errors, never bodies.
    /// </summary>
    public static IEndpointRouteBuilder MapOutboxOperations(this IEndpointRouteBuilder endpoints, string adminPolicy)
    {
        endpoints.MapGet("/api/ops/outbox", async (ServiceDatabase database, CancellationToken cancellationToken) =>
        {
            await using var connection = await database.OpenConnectionAsync(cancellationToken);
            var status = await connection.QuerySingleAsync<OutboxStatus>(new CommandDefinition(
                """
                select count(*) filter (where published_at is null and failed_at is null) as Pending,
                       count(*) filter (where failed_at is not null) as SetAside,
                       min(created_at) filter (where published_at is null and failed_at is null) as OldestPendingAt
                from outbox
                """, cancellationToken: cancellationToken));
            var setAside = await connection.QueryAsync<SetAsideRow>(new CommandDefinition(
                """
                select seq, message_id as MessageId, message_type as MessageType, attempts, last_error as LastError, failed_at as FailedAt
                from outbox where failed_at is not null order by seq limit 100
                """, cancellationToken: cancellationToken));
            return Results.Ok(new { database.Schema, status.Pending, status.SetAside, status.OldestPendingAt, setAsideRows = setAside });
        }).RequireAuthorization(adminPolicy);
        return endpoints;
    }

    private sealed record OutboxStatus(long Pending, long SetAside, DateTime? OldestPendingAt);

    private sealed record SetAsideRow(long Seq, Guid MessageId, string MessageType, int Attempts, string? LastError, DateTime FailedAt);
}
