using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Inputs;

/// <summary>
/// The jobs an intake has taken and not yet settled, each with its own cancellation. Every change completes a
/// signal, so waiting for "idle" or "room for another" costs nothing while nothing happens (no polling).
/// </summary>
public sealed class ClaimSet<TKey> where TKey : notnull
{
    private readonly Dictionary<TKey, Claim> _claims;
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = NewSignal();

    public ClaimSet(IEqualityComparer<TKey>? comparer = null) => _claims = new Dictionary<TKey, Claim>(comparer);

    public int Count { get { lock (_gate) return _claims.Count; } }

    public bool Contains(TKey key)
    {
        lock (_gate) return _claims.ContainsKey(key);
    }

    /// <summary>Claims <paramref name="key"/>; dispose the claim when the job has settled.</summary>
    /// <exception cref="InvalidOperationException">The key is already claimed.</exception>
    public Claim Add(TKey key)
    {
        var claim = new Claim(() => Remove(key));
        lock (_gate)
            if (!_claims.TryAdd(key, claim)) throw new InvalidOperationException($"{key} is already claimed");
        Signal();
        return claim;
    }

    /// <summary>Cancels the claims whose job has not started (a drain hands those back untouched).</summary>
    public void ReturnUnstarted()
    {
        foreach (Claim c in Snapshot())
            if (!c.Started) c.Cancel();
    }

    public void CancelAll()
    {
        foreach (Claim c in Snapshot()) c.Cancel();
    }

    // Cancelling runs callbacks: never under the lock, and a claim may settle (and be disposed) meanwhile.
    private Claim[] Snapshot()
    {
        lock (_gate) return [.. _claims.Values];
    }

    public Task WaitIdleAsync(CancellationToken ct) => WaitUntilAsync(keys => keys.Count == 0, ct);

    /// <summary>Completes once fewer than <paramref name="limit"/> are claimed.</summary>
    public Task WaitForRoomAsync(int limit, CancellationToken ct) => WaitUntilAsync(keys => keys.Count < limit, ct);

    /// <summary>Completes once <paramref name="condition"/> holds for the claimed keys (checked under the lock after every change).</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyCollection<TKey>, bool> condition, CancellationToken ct)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (condition(_claims.Keys)) return;
                changed = _changed.Task;
            }
            await changed.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private void Remove(TKey key)
    {
        lock (_gate) _claims.Remove(key);
        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            fired = _changed;
            _changed = NewSignal();
        }
        fired.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>One claimed job: its cancellation, and the job once built (so a drain can tell started from waiting).</summary>
public sealed class Claim : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly Action _release;
    private volatile FileRestoreJob? _job;
    private int _disposed;

    internal Claim(Action release) => _release = release;

    public CancellationToken Token => _cancel.Token;

    /// <summary>The pipeline job, once there is one; before that the claim counts as not started.</summary>
    public FileRestoreJob? Job { get => _job; set => _job = value; }

    public bool Started => _job?.Started == true;

    internal void Cancel()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Settled meanwhile: nothing left to cancel.
        }
    }

    /// <summary>Releases the claim: it leaves the set (waiters are signalled) and its cancellation is disposed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _release();
        _cancel.Dispose();
    }
}
