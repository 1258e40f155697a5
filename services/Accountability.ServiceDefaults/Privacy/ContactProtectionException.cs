namespace Accountability.ServiceDefaults.Privacy;

/// <summary>A sealed contact could not be opened. The message never contains any plaintext.</summary>
public sealed class ContactProtectionException(string message, Exception? inner = null) : Exception(message, inner);
