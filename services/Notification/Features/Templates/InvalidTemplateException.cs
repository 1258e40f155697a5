namespace Accountability.Notification.Features.Templates;

/// <summary>A template file is missing or wrong; thrown at start-up so the service never runs with it.</summary>
public sealed class InvalidTemplateException(string message) : Exception(message);
