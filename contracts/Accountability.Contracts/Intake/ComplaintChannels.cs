namespace Accountability.Contracts.Intake;

/// <summary>How a complaint reached the department; the values of ComplaintReceived.Channel.</summary>
public static class ComplaintChannels
{
    public const string Web = "web";
    public const string Phone = "phone";
    public const string WalkIn = "walk-in";
    public const string Email = "email";
    public const string Officer = "officer";
    public const string Open311 = "open311";

    public static readonly IReadOnlyList<string> All = [Web, Phone, WalkIn, Email, Officer, Open311];

    public static bool IsKnown(string? channel) => channel is not null && All.Contains(channel, StringComparer.Ordinal);
}
