namespace Accountability.Intake.Features.FileComplaint;

/// <summary>What became of a submission, whichever door it came in by.</summary>
public sealed record SubmissionResult
{
    public Dictionary<string, string[]>? Errors { get; init; }
    public FilingReceipt? Receipt { get; init; }
    public bool Replayed { get; init; }
    public bool KeyReusedWithDifferentBody { get; init; }
}

/// <summary>
/// The one path every complaint takes: the clerk endpoint, the public endpoint and Open311 all
/// build a <see cref="FileComplaintRequest"/> and hand it here. Only the door's rules differ.
/// </summary>
public sealed class ComplaintSubmission(FilingBatcher filer, TimeProvider clock)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 200;

    public async Task<SubmissionResult> SubmitAsync(
        FileComplaintRequest request, FilingRules rules, FilingCaller caller, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var (complaint, errors) = ComplaintValidator.Validate(request, rules, clock.GetUtcNow());
        if (idempotencyKey is not null && !IsValidIdempotencyKey(idempotencyKey))
            errors[IdempotencyKeyHeader] = [$"1 to {MaxIdempotencyKeyLength} printable ASCII characters."];
        if (complaint is null || errors.Count > 0)
            return new SubmissionResult { Errors = errors };

        var outcome = await filer.FileAsync(complaint, caller, idempotencyKey, cancellationToken);
        return new SubmissionResult
        {
            Receipt = outcome.Receipt,
            Replayed = outcome.Replayed,
            KeyReusedWithDifferentBody = outcome.KeyReusedWithDifferentBody,
        };
    }

    private static bool IsValidIdempotencyKey(string key) =>
        key.Length is > 0 and <= MaxIdempotencyKeyLength && key.All(c => c is >= '!' and <= '~');
}
