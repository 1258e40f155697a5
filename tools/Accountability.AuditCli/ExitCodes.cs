namespace Accountability.AuditCli;

/// <summary>What scripts may rely on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int VerificationFailed = 1;
    public const int UsageError = 2;
    public const int CannotConnect = 3;
}

/// <summary>A mistake in the command line or its values: exit 2 with this message.</summary>
public sealed class UsageException(string message) : Exception(message);
