namespace Accountability.ServiceDefaults.Privacy;

/// <summary>
/// Settings under "Privacy": the AES-256 keys (base64 of 32 bytes) by id, and the id that seals new
/// contacts. Keep retired keys configured until nothing sealed with them is needed any more.
/// Environment: Privacy__ActiveKeyId, Privacy__Keys__&lt;id&gt;.
/// </summary>
public sealed class PrivacyOptions
{
    public const string Section = "Privacy";

    public string? ActiveKeyId { get; set; }

    public Dictionary<string, string> Keys { get; set; } = new(StringComparer.Ordinal);
}
