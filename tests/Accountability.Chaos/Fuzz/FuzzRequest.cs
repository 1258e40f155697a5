namespace Accountability.Chaos.Fuzz;

/// <summary>The service a generated request goes to.</summary>
public enum FuzzService
{
    Intake,
    Assignment,
}

/// <summary>
/// One generated malformed request. <see cref="Breaker"/> names the defect that must make the service
/// refuse it (so it may never store a row); <see cref="Noise"/> lists extra oddities piled on top.
/// </summary>
public sealed record FuzzRequest(
    int Index,
    FuzzService Service,
    string Endpoint,
    HttpMethod Method,
    string PathAndQuery,
    byte[]? Body,
    string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    string Breaker,
    IReadOnlyList<string> Noise)
{
    public string Describe() =>
        $"#{Index} {Method} {Service} {Truncate(PathAndQuery, 160)} endpoint={Endpoint} breaker={Breaker}"
        + (Noise.Count > 0 ? $" noise=[{string.Join(", ", Noise)}]" : "")
        + $" content-type={ContentType ?? "(none)"} body={Body?.Length ?? 0} bytes";

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}

/// <summary>What the generator may aim at: real ids to make the refusals come from deep inside, and the tokens to use.</summary>
public sealed record FuzzContext(
    string Open311ApiKey,
    IReadOnlyList<FuzzCase> Cases,
    IReadOnlyList<Guid> PendingHandoffs,
    FuzzTokens Tokens);

/// <summary>A real case of the fuzzed database and a token of its owner (who may do anything to it).</summary>
public sealed record FuzzCase(Guid CaseId, string OwnerToken);

/// <summary>Tokens the generator hands out: valid ones (to get past authentication) and broken ones.</summary>
public sealed record FuzzTokens(
    string Clerk,
    string Admin,
    string Auditor,
    string Expired,
    string ForeignlySigned,
    string Supervisor);
