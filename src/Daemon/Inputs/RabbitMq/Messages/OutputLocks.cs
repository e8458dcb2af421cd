using System.Collections.Concurrent;

namespace ResShift.Daemon.Inputs.RabbitMq.Messages;

/// <summary>
/// One job per output path at a time in this process. A message redelivered after a lost connection can arrive
/// while its first delivery is still computing here; the second waits, then finds the output done and acks.
/// </summary>
public sealed class OutputLocks
{
    private readonly ConcurrentDictionary<string, Task> _held = new(StringComparer.Ordinal);

    public async Task<IDisposable> AcquireAsync(string path, CancellationToken ct)
    {
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        while (true)
        {
            if (_held.TryAdd(path, mine.Task)) return new Release(this, path, mine);
            if (_held.TryGetValue(path, out Task? other)) await other.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private sealed class Release(OutputLocks owner, string path, TaskCompletionSource tcs) : IDisposable
    {
        public void Dispose()
        {
            owner._held.TryRemove(new KeyValuePair<string, Task>(path, tcs.Task));
            tcs.TrySetResult();
        }
    }
}
