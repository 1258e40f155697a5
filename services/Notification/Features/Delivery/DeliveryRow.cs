namespace Accountability.Notification.Features.Delivery;

/// <summary>
/// A claimed delivery, as the dispatcher reads it, and when the first pending delivery that was not due at the claim comes
/// due (seconds from now; null when there is none). The claim also brings the
/// delivery's case as this service knows it (the Known… columns, all null when it does not know it yet)
/// and the version of its directory copy, so that the attempt reads nothing else (the directory's body only
/// when that version is not cached yet).
/// </summary>
public sealed record DeliveryRow(
    Guid Id, string Template, string Channel, Guid? CaseId, string RecipientRole, string? RecipientId,
    string Parameters, int Attempts, int RoundAttempts, string? Traceparent, double? NextDueInSeconds,
    Guid? KnownCaseId = null, string? KnownTrackingCode = null, bool? KnownAnonymous = null, string? KnownContactKeyId = null,
    string? KnownContactCiphertext = null, string? KnownOptOutToken = null, DateTime? KnownOptedOutAt = null,
    string? KnownUnitId = null, string? KnownCaseNumber = null, long? DirectoryVersion = null)
{
    /// <summary>The delivery's case, as it stood when the delivery was claimed; null when the case has not reached this service.</summary>
    public Data.CaseStore.CaseRow? Case => KnownCaseId is { } caseId
        ? new(caseId, KnownTrackingCode!, KnownAnonymous ?? false, KnownContactKeyId, KnownContactCiphertext, KnownOptOutToken!, KnownOptedOutAt,
            KnownUnitId, KnownCaseNumber)
        : null;
}
