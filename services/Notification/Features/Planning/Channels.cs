namespace Accountability.Notification.Features.Planning;

public static class Channels
{
    public const string Email = "email";
    public const string Webhook = "webhook";

    public static readonly IReadOnlyList<string> All = [Email, Webhook];
}
