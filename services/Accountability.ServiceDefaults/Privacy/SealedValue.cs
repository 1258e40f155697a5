namespace Accountability.ServiceDefaults.Privacy;

/// <summary>
/// Output of <see cref="ContactProtector.Seal"/>: the key id and base64 of nonce ‖ ciphertext ‖ tag.
/// Services copy it into the contract's SealedContact; this library does not reference the contracts.
/// </summary>
public sealed record SealedValue(string KeyId, string Ciphertext);
