using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Accountability.Notification.Features.Templates;

/// <summary>
/// The template files, read and checked once at start-up: every trigger needs &lt;name&gt;.txt (first
/// line "Subject: ...") and &lt;name&gt;.html, and may only use the placeholders its trigger supplies.
/// A mistake stops the start with the file and the placeholder named.
/// </summary>
public sealed partial class MessageTemplates
{
    private const string SubjectPrefix = "Subject:";

    private readonly IReadOnlyDictionary<string, (string Subject, string Text, string Html)> templates;

    private MessageTemplates(IReadOnlyDictionary<string, (string, string, string)> templates) => this.templates = templates;

    public static MessageTemplates Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new InvalidTemplateException($"The template folder '{folder}' does not exist (Notification:TemplatesPath).");

        var problems = new List<string>();
        var loaded = new Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
        foreach (var trigger in Triggers.All.Values)
        {
            var textPath = Path.Combine(folder, trigger.Name + ".txt");
            var htmlPath = Path.Combine(folder, trigger.Name + ".html");
            var text = ReadOrReport(textPath, problems);
            var html = ReadOrReport(htmlPath, problems);
            if (text is null || html is null)
                continue;

            var (subject, body) = SplitSubject(text);
            if (subject is null)
            {
                problems.Add($"{textPath}: the first line must be \"Subject: ...\".");
                continue;
            }
            foreach (var (path, content) in new[] { (textPath, text), (htmlPath, html) })
                foreach (var name in PlaceholdersIn(content).Where(n => !trigger.Placeholders.Contains(n)))
                    problems.Add($"{path}: unknown placeholder {{{{{name}}}}}; the '{trigger.Name}' trigger supplies " +
                                 string.Join(", ", trigger.Placeholders.Order(StringComparer.Ordinal).Select(p => $"{{{{{p}}}}}")) + ".");
            loaded[trigger.Name] = (subject, body, html);
        }
        if (problems.Count > 0)
            throw new InvalidTemplateException("The notification templates are not usable:\n  " + string.Join("\n  ", problems));
        return new MessageTemplates(loaded);
    }

    /// <summary>Fills in a template. Values go into the HTML encoded, and into the subject on one line.</summary>
    public RenderedMessage Render(string trigger, IReadOnlyDictionary<string, string> values)
    {
        var (subject, text, html) = templates[trigger];
        return new RenderedMessage(
            Fill(subject, values, v => OneLine(v)),
            Fill(text, values, v => v),
            Fill(html, values, WebUtility.HtmlEncode));
    }

    public static IEnumerable<string> PlaceholdersIn(string content) =>
        Placeholder().Matches(content).Select(m => m.Groups["name"].Value).Distinct(StringComparer.Ordinal);

    private static string Fill(string content, IReadOnlyDictionary<string, string> values, Func<string, string> encode) =>
        Placeholder().Replace(content, match =>
        {
            var name = match.Groups["name"].Value;
            return values.TryGetValue(name, out var value)
                ? encode(value)
                : throw new InvalidOperationException($"No value was supplied for the placeholder {{{{{name}}}}}.");
        });

    private static (string? Subject, string Body) SplitSubject(string text)
    {
        var newline = text.IndexOf('\n');
        var first = (newline < 0 ? text : text[..newline]).TrimEnd('\r');
        if (!first.StartsWith(SubjectPrefix, StringComparison.OrdinalIgnoreCase))
            return (null, text);
        var body = newline < 0 ? "" : text[(newline + 1)..].TrimStart('\r', '\n');
        return (first[SubjectPrefix.Length..].Trim(), body);
    }

    private static string? ReadOrReport(string path, List<string> problems)
    {
        if (File.Exists(path))
            return File.ReadAllText(path, Encoding.UTF8);
        problems.Add($"{path}: missing.");
        return null;
    }

    // A header must never be split by a value: that is how header injection starts.
    private static string OneLine(string value) => value.Replace('\r', ' ').Replace('\n', ' ');

    // {{name}}; anything between the braces counts, so a misspelt or malformed name is caught too.
    [GeneratedRegex(@"\{\{\s*(?<name>[^{}]*?)\s*\}\}")]
    private static partial Regex Placeholder();
}
