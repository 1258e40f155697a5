namespace Accountability.Messaging.Migrations;

/// <summary>Opens once the service's schema is up to date; the relay, consumers and readiness wait on it.</summary>
public sealed class MigrationGate
{
    private readonly TaskCompletionSource opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => opened.Task.IsCompletedSuccessfully;

    public void Open() => opened.TrySetResult();

    public Task WaitAsync(CancellationToken cancellationToken) => opened.Task.WaitAsync(cancellationToken);
}
