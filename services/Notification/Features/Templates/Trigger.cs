namespace Accountability.Notification.Features.Templates;

/// <summary>One reason to tell someone something: its template name, who hears it, and the placeholders it supplies.</summary>
public sealed record Trigger(string Name, string RecipientRole, IReadOnlySet<string> Placeholders)
{
    /// <summary>A complainant who opted out still hears these two: the receipt, and the outcome.</summary>
    public bool SurvivesOptOut => Name is Triggers.Receipt or Triggers.Resolution;
}
