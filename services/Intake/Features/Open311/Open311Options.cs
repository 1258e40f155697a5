namespace Accountability.Intake.Features.Open311;

/// <summary>Settings under "Open311". Keys are issued to integrating applications (environment: Open311__ApiKeys__0, ...).</summary>
public sealed class Open311Options
{
    public const string Section = "Open311";

    public List<string> ApiKeys { get; set; } = [];

    public string Contact { get; set; } = "Office of Professional Standards, Riverton Police Department";

    public string KeyService { get; set; } = "API keys are issued by the Office of Professional Standards on request.";
}
