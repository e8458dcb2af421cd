using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ResShift.Daemon.Tests.Systemd;

/// <summary>Keeps every log line (level and formatted message) so a test can count what was said.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue((logLevel, formatter(state, exception)));

    public int Count(LogLevel level, string containing) =>
        Lines.Count(l => l.Level == level && l.Message.Contains(containing, StringComparison.Ordinal));
}
