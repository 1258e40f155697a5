namespace Accountability.Notification.Features.Satisfaction;

public static class SatisfactionLinks
{
    /// <summary>The page that asks the question; each answer on it is a one-click link with ?answer=1..5.</summary>
    public static string Question(string publicBaseUrl, string token) =>
        $"{publicBaseUrl.TrimEnd('/')}/api/public/satisfaction/{token}";
}
