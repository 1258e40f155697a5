namespace Accountability.Contracts.Custody;

/// <summary>How someone working a case reached the complainant; the values of ComplainantContacted.Method.</summary>
public static class ContactMethods
{
    public const string Phone = "phone";
    public const string Email = "email";
    public const string InPerson = "in-person";
    public const string Letter = "letter";
    public const string Other = "other";

    public static readonly IReadOnlyList<string> All = [Phone, Email, InPerson, Letter, Other];

    public static bool IsKnown(string? method) => method is not null && All.Contains(method, StringComparer.Ordinal);
}
