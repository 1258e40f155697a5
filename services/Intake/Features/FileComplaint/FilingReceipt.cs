namespace Accountability.Intake.Features.FileComplaint;

/// <summary>The 201 body: stored with the idempotency key, so a retry gets exactly the same reply.</summary>
public sealed record FilingReceipt
{
    public required Guid CaseId { get; init; }

    /// <summary>The number people use, e.g. IA-2026-00042; absent from receipts stored before numbers existed.</summary>
    public string? CaseNumber { get; init; }
    public required string TrackingCode { get; init; }
    public required ReceiptOwner Owner { get; init; }
    public required string Status { get; init; }
    public required string StatusUrl { get; init; }
}

public sealed record ReceiptOwner(string Kind, string Id, string Name);
