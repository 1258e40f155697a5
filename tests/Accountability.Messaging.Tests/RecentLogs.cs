using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Accountability.Messaging.Tests;

/// <summary>
/// The last warnings and errors a test host logged (MassTransit's, the relay's), kept in memory so a test that stalls can
/// say what the bus went through: the host's console output is not part of a test's result.
/// </summary>
public sealed class RecentLogs : ILoggerProvider
{
    private const int Kept = 40;
    private readonly ConcurrentQueue<string> lines = new();

    public IReadOnlyList<string> Lines => [.. lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private void Add(string line)
    {
        lines.Enqueue(line);
        while (lines.Count > Kept)
            lines.TryDequeue(out _);
    }

    private sealed class Logger(RecentLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            var cause = exception is null ? "" : $" [{exception.GetType().Name}: {exception.Message}]";
            owner.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{cause}");
        }
    }
}
