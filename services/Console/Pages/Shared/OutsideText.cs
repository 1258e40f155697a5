using System.Text;

namespace Accountability.Console.Pages;

/// <summary>
/// Text that came from outside (a complainant's name, a narrative, a note), as the console shows it:
/// without the invisible characters that change how the text around them reads. Direction overrides,
/// embeddings, isolates and marks could reverse an e-mail address or reorder a sentence, and zero-width
/// spaces can make two different strings look the same. The record keeps the raw text; only the page
/// drops them, inside a &lt;bdi&gt; that isolates whatever direction the text itself has.
/// Joiners (U+200C, U+200D) stay: scripts such as Persian and emoji sequences need them.
/// </summary>
public static class OutsideText
{
    public static string Shown(string? text)
    {
        if (string.IsNullOrEmpty(text) || !text.Any(IsHidden))
            return text ?? "";
        var shown = new StringBuilder(text.Length);
        foreach (var c in text)
            if (!IsHidden(c))
                shown.Append(c);
        return shown.ToString();
    }

    private static bool IsHidden(char c) => c is
        '\u200B' // zero-width space
        or '\u200E' or '\u200F' or '\u061C' // left-to-right, right-to-left and Arabic letter marks
        or (>= '\u202A' and <= '\u202E') // embeddings and overrides
        or (>= '\u2066' and <= '\u2069') // isolates
        or '\u2060' or '\uFEFF'; // word joiner, zero-width no-break space
}
