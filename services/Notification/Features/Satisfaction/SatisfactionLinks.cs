namespace Accountability.Notification.Features.Satisfaction;

public static class SatisfactionLinks
{
    /// <summary>
    /// The page that asks the question: Notification:PublicSatisfactionUrl when set (the console's public
    /// page), else this service's own, where each answer is a one-click link with ?answer=1..5.
    /// </summary>
    public static string Question(NotificationOptions options, string token) =>
        NotificationOptions.FillLink(options.PublicSatisfactionUrl, token)
            ?? $"{options.PublicBaseUrl.TrimEnd('/')}/api/public/satisfaction/{token}";
}
