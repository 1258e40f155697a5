namespace Accountability.ServiceDefaults.Privacy;

/// <summary>The plaintext contact details of a complainant. Only ever held in memory; stored and sent sealed.</summary>
public sealed record ComplainantContact
{
    public string? Name { get; init; }
    public string? Email { get; init; }
    public string? Phone { get; init; }

    // Records print their properties; this one must never end up in a log line or an exception.
    public override string ToString() => "ComplainantContact { (redacted) }";
}
