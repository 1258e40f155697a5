namespace Accountability.Contracts.Intake;

/// <summary>
/// The complainant's contact details, encrypted (AES-256-GCM). Only holders of the key named by
/// KeyId can read them; everyone else, the broker and the audit trail included, sees ciphertext.
/// </summary>
public sealed record SealedContact
{
    /// <summary>Which configured key sealed it (Privacy:Keys:&lt;KeyId&gt;).</summary>
    public required string KeyId { get; init; }

    /// <summary>Base64 of nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes).</summary>
    public required string Ciphertext { get; init; }
}
