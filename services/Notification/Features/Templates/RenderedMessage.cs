namespace Accountability.Notification.Features.Templates;

/// <summary>A template filled in: what an e-mail or a webhook carries.</summary>
public sealed record RenderedMessage(string Subject, string Text, string Html);
