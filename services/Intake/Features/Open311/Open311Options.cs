namespace Accountability.Intake.Features.Open311;

/// <summary>Settings under "Open311". Keys are issued to integrating applications (environment: Open311__ApiKeys__0, ...).</summary>
public sealed class Open311Options
{
    public const string Section = "Open311";

    public List<string> ApiKeys { get; set; } = [];

    /// <summary>
    /// Which channels' complaints GET requests lists (and finds by id): what the department chooses to publish.
    /// By default only requests filed through Open311 itself; never staff-filed ones unless listed here.
    /// </summary>
    public List<string> PublishedChannels { get; set; } = [Contracts.Intake.ComplaintChannels.Open311];

    /// <summary>False (the default) keeps anonymous complaints out of the public list whatever their channel.</summary>
    public bool PublishAnonymous { get; set; }

    public string Contact { get; set; } = "Office of Professional Standards, Riverton Police Department";

    public string KeyService { get; set; } = "API keys are issued by the Office of Professional Standards on request.";
}
