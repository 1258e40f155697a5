using System.Security.Cryptography;
using System.Text;

namespace Accountability.Intake.Features.FileComplaint;

/// <summary>
/// Public tracking codes: 80 random bits from the OS generator, written as 16 Crockford base32
/// characters (no I, L, O or U to misread) in groups of four behind a cosmetic prefix:
/// RPD-7K3M-Q9XD-2HRB-VN4T. Never derived from the case id or a sequence.
/// </summary>
public static class TrackingCodes
{
    public const int RandomBits = 80;
    public const int Symbols = RandomBits / 5;
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    public static string NewCode(string prefix)
    {
        Span<byte> random = stackalloc byte[RandomBits / 8];
        RandomNumberGenerator.Fill(random);
        var symbols = new StringBuilder(Symbols);
        // 80 bits = 16 symbols of 5 bits each, read most significant first.
        var buffer = 0;
        var bitsInBuffer = 0;
        foreach (var b in random)
        {
            buffer = (buffer << 8) | b;
            bitsInBuffer += 8;
            while (bitsInBuffer >= 5)
            {
                symbols.Append(Alphabet[(buffer >> (bitsInBuffer - 5)) & 31]);
                bitsInBuffer -= 5;
            }
            buffer &= (1 << bitsInBuffer) - 1;
        }
        var groups = Enumerable.Range(0, Symbols / 4).Select(i => symbols.ToString(i * 4, 4));
        return $"{prefix}-{string.Join('-', groups)}";
    }

    /// <summary>
    /// The 16 symbols of a code as typed by a person (any case, with or without hyphens, spaces or
    /// prefix; O read as 0, I and L as 1), or null when it cannot be a code at all.
    /// </summary>
    public static string? Normalize(string? typed, string prefix)
    {
        if (typed is null || typed.Length > 64)
            return null;
        var compact = new StringBuilder();
        foreach (var c in typed.ToUpperInvariant())
        {
            if (c is '-' or ' ')
                continue;
            compact.Append(c switch { 'O' => '0', 'I' or 'L' => '1', _ => c });
        }
        var text = compact.ToString();
        var upperPrefix = prefix.ToUpperInvariant();
        if (text.Length == Symbols + upperPrefix.Length && text.StartsWith(upperPrefix, StringComparison.Ordinal))
            text = text[upperPrefix.Length..];
        return text.Length == Symbols && text.All(c => Alphabet.Contains(c)) ? text : null;
    }

    /// <summary>What the database indexes: a hash, so a look-up never compares the code itself character by character.</summary>
    public static byte[] LookupHash(string normalizedSymbols) => SHA256.HashData(Encoding.ASCII.GetBytes(normalizedSymbols));
}
