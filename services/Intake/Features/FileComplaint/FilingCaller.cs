namespace Accountability.Intake.Features.FileComplaint;

/// <summary>Who files: the actor recorded on the case, and the scope that Idempotency-Key values live in.</summary>
public sealed record FilingCaller(string Actor, string IdempotencyScope)
{
    public const string PublicWebActor = "system:public-web";
    public const string Open311Actor = "system:open311";
}
