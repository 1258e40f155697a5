using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Accountability.ServiceDefaults.Privacy;

/// <summary>
/// Seals complainant contact details with AES-256-GCM. The key id is bound into the associated
/// data, so a ciphertext relabelled with another key id fails its tag check. Several keys may be
/// configured: new contacts are sealed with the active one, and any configured key opens old ones.
/// </summary>
public sealed class ContactProtector
{
    public const int KeySizeBytes = 32;
    private const int NonceSizeBytes = 12;
    private const int TagSizeBytes = 16;
    private const string AssociatedDataPrefix = "accountability.complainant-contact.v1|";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IReadOnlyDictionary<string, byte[]> keys;

    public ContactProtector(PrivacyOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ActiveKeyId))
            throw new InvalidOperationException(
                "Privacy:ActiveKeyId is not set (environment variable Privacy__ActiveKeyId): name the key that seals complainant contacts.");
        var parsed = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, value) in options.Keys)
            parsed[id] = ParseKey(id, value);
        if (!parsed.ContainsKey(options.ActiveKeyId))
            throw new InvalidOperationException(
                $"Privacy:Keys:{options.ActiveKeyId} is not set (environment variable Privacy__Keys__{options.ActiveKeyId}): " +
                $"the active key needs base64 of {KeySizeBytes} random bytes.");
        ActiveKeyId = options.ActiveKeyId;
        keys = parsed;
    }

    public string ActiveKeyId { get; }

    public SealedValue Seal(ComplainantContact contact)
    {
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(contact, Json);
        var output = new byte[NonceSizeBytes + plaintext.Length + TagSizeBytes];
        var nonce = output.AsSpan(0, NonceSizeBytes);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(keys[ActiveKeyId], TagSizeBytes))
            aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSizeBytes, plaintext.Length),
                output.AsSpan(NonceSizeBytes + plaintext.Length), AssociatedData(ActiveKeyId));
        CryptographicOperations.ZeroMemory(plaintext);
        return new SealedValue(ActiveKeyId, Convert.ToBase64String(output));
    }

    public ComplainantContact Unseal(string keyId, string ciphertext)
    {
        if (!keys.TryGetValue(keyId, out var key))
            throw new ContactProtectionException(
                $"No key '{keyId}' is configured (Privacy:Keys:{keyId}); the contact sealed with it cannot be opened.");

        byte[] sealedBytes;
        try
        {
            sealedBytes = Convert.FromBase64String(ciphertext);
        }
        catch (FormatException exception)
        {
            throw new ContactProtectionException("The sealed contact is not valid base64.", exception);
        }
        if (sealedBytes.Length < NonceSizeBytes + TagSizeBytes)
            throw new ContactProtectionException("The sealed contact is too short to be an AES-GCM ciphertext.");

        var cipherLength = sealedBytes.Length - NonceSizeBytes - TagSizeBytes;
        var plaintext = new byte[cipherLength];
        try
        {
            using var aes = new AesGcm(key, TagSizeBytes);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSizeBytes), sealedBytes.AsSpan(NonceSizeBytes, cipherLength),
                sealedBytes.AsSpan(NonceSizeBytes + cipherLength), plaintext, AssociatedData(keyId));
        }
        catch (AuthenticationTagMismatchException exception)
        {
            throw new ContactProtectionException(
                $"The sealed contact failed its integrity check under key '{keyId}': it was altered, or sealed with another key.", exception);
        }

        try
        {
            return JsonSerializer.Deserialize<ComplainantContact>(plaintext, Json)
                   ?? throw new ContactProtectionException("The sealed contact holds no contact.");
        }
        catch (JsonException)
        {
            // The inner exception is dropped on purpose: its message could quote the plaintext.
            throw new ContactProtectionException("The sealed contact decrypted, but does not hold a contact record.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>
    /// A blind index of a complainant's name: HMAC-SHA256 of the normalised name (<see cref="NormalizeName"/>) under a key
    /// derived from the active privacy key, so a name can be found by an exact match without storing it or anything a
    /// dictionary attack on the table alone could reverse. Null when the name has no letters or digits.
    /// </summary>
    public (string KeyId, byte[] Index)? NameIndex(string? name) =>
        NormalizeName(name) is { } normalized ? (ActiveKeyId, NameIndex(keys[ActiveKeyId], normalized)) : null;

    /// <summary>The index of a name under every configured key: a search also finds names indexed before a rotation.</summary>
    public IReadOnlyList<(string KeyId, byte[] Index)> NameIndexes(string? name) =>
        NormalizeName(name) is { } normalized ? [.. keys.Select(key => (key.Key, NameIndex(key.Value, normalized)))] : [];

    /// <summary>
    /// What a name search compares: accents, letter case, punctuation and word order do not count
    /// ("José  O'Brien-Díaz" and "diaz obrien jose" are the same); every word must match.
    /// </summary>
    public static string? NormalizeName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return null;
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in name.Normalize(NormalizationForm.FormKD).ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c))
                word.Append(c);
            else if ((char.IsWhiteSpace(c) || c is '-' or '‐' or '‑') && word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
            // Marks (the accents FormKD split off) and other punctuation vanish.
        }
        if (word.Length > 0)
            words.Add(word.ToString());
        return words.Count == 0 ? null : string.Join(' ', words.Order(StringComparer.Ordinal));
    }

    private static byte[] NameIndex(byte[] key, string normalized)
    {
        var indexKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, key, KeySizeBytes, info: NameIndexInfo);
        try
        {
            return HMACSHA256.HashData(indexKey, Encoding.UTF8.GetBytes(normalized));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(indexKey);
        }
    }

    // Its own purpose, so the index key is never the sealing key itself.
    private static readonly byte[] NameIndexInfo = Encoding.UTF8.GetBytes("accountability.complainant-name-index.v1");

    private static byte[] AssociatedData(string keyId) => Encoding.UTF8.GetBytes(AssociatedDataPrefix + keyId);

    private static byte[] ParseKey(string id, string? value)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(value ?? "");
        }
        catch (FormatException)
        {
            throw new InvalidOperationException(
                $"Privacy:Keys:{id} (environment variable Privacy__Keys__{id}) is not valid base64; it must hold {KeySizeBytes} random bytes.");
        }
        if (bytes.Length != KeySizeBytes)
            throw new InvalidOperationException(
                $"Privacy:Keys:{id} (environment variable Privacy__Keys__{id}) holds {bytes.Length} bytes; AES-256 needs exactly {KeySizeBytes}.");
        return bytes;
    }
}
