namespace Accountability.Assignment.Features.Custody;

/// <summary>The dispositions an allegation can end with.</summary>
public static class Findings
{
    public const string Sustained = "sustained";
    public const string NotSustained = "not-sustained";
    public const string Exonerated = "exonerated";
    public const string Unfounded = "unfounded";
    public const string PolicyFailure = "policy-failure";
    public const string Withdrawn = "withdrawn";

    public static IReadOnlyList<string> All { get; } = [Sustained, NotSustained, Exonerated, Unfounded, PolicyFailure, Withdrawn];

    public static bool IsKnown(string finding) => All.Contains(finding, StringComparer.Ordinal);
}
