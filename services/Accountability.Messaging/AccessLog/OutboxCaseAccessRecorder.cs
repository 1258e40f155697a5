using Accountability.Contracts.Audit;
using Accountability.Messaging.Database;
using Accountability.Messaging.Outbox;
using Accountability.ServiceDefaults.Security;

namespace Accountability.Messaging.AccessLog;

/// <summary>Sends each access record to the audit service through this service's outbox, so none is lost while the broker is down.</summary>
public sealed class OutboxCaseAccessRecorder(ServiceDatabase database) : ICaseAccessRecorder
{
    public async Task RecordAsync(CaseAccess access, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await OutboxWriter.EnqueueAsync(transaction, new CaseDataAccessed
        {
            AccessId = Guid.CreateVersion7(),
            CaseId = access.CaseId,
            Component = access.Component,
            EventType = access.EventType,
            UserId = access.UserId,
            Roles = access.Roles,
            Resource = access.Resource,
            Outcome = access.Outcome,
            StatusCode = access.StatusCode,
            OccurredAt = access.OccurredAt,
            TraceId = access.TraceId,
        }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
