using Accountability.Contracts.Witness;
using Accountability.Messaging.Bus;
using Accountability.Messaging.Database;
using Accountability.ServiceDefaults.Security;
using Dapper;
using MassTransit;

namespace Accountability.Notification.Features.TrailWitness;

/// <summary>
/// Notification witnesses the audit trail: it keeps every signed head it is told of, outside the audit schema
/// and out of reach of audit's database role. An auditor (or audit's own verify) compares the trail with the
/// highest head seen here, so the trail's newest records cannot be removed unnoticed.
/// </summary>
public sealed class TrailCheckpointConsumer(Messaging.Inbox.Inbox inbox) : IConsumer<TrailCheckpointSigned>
{
    public Task Consume(ConsumeContext<TrailCheckpointSigned> context)
    {
        var head = context.Message;
        return inbox.ProcessOnceAsync(nameof(TrailCheckpointConsumer), context.RequireMessageId(), (transaction, cancellationToken) =>
            transaction.Connection!.ExecuteAsync(new CommandDefinition(
                """
                insert into trail_witness (trail, global_seq, hash, key_id, signed_at, signature)
                values (@Trail, @GlobalSeq, @Hash, @KeyId, @SignedAt, @Signature)
                on conflict (trail, global_seq) do nothing
                """, new { head.Trail, head.GlobalSeq, head.Hash, head.KeyId, SignedAt = head.SignedAt.UtcDateTime, head.Signature },
                transaction, cancellationToken: cancellationToken)),
            context.CancellationToken);
    }
}

public sealed class TrailCheckpointConsumerDefinition : RetryingConsumerDefinition<TrailCheckpointConsumer>;

public static class TrailWitnessEndpoints
{
    /// <summary>GET /api/trail-witness/{trail}: the highest signed head witnessed for that trail (404 before the first).</summary>
    public static IEndpointRouteBuilder MapTrailWitness(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/trail-witness/{trail}", async (string trail, ServiceDatabase database, CancellationToken ct) =>
        {
            await using var connection = await database.OpenConnectionAsync(ct);
            var head = await connection.QuerySingleOrDefaultAsync<WitnessedHead>(new CommandDefinition(
                """
                select trail as Trail, global_seq as GlobalSeq, hash as Hash, key_id as KeyId, signed_at as SignedAt, signature as Signature
                from trail_witness where trail = @trail order by global_seq desc limit 1
                """, new { trail }, cancellationToken: ct));
            return head is null
                ? Results.Problem(statusCode: 404, title: "Nothing witnessed", detail: $"No signed head of trail '{trail}' has been seen yet.")
                : Results.Ok(head with { SignedAt = DateTime.SpecifyKind(head.SignedAt, DateTimeKind.Utc) });
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Auditor, Roles.Admin));
        return app;
    }

    public sealed record WitnessedHead(string Trail, long GlobalSeq, string Hash, string KeyId, DateTime SignedAt, string Signature);
}
