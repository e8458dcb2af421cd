namespace ResShift.Pipeline.Processing;

/// <summary>
/// A byte-weighted async semaphore: each job reserves its estimated memory before its pixels are decoded and
/// gives it back when it finishes, so a few huge scans cannot be in flight together however many job slots
/// are free. Waiters are served in arrival order (a big job is not starved by a stream of small ones).
/// A request larger than the whole budget is refused, never queued: it could only wait forever.
/// </summary>
public sealed class MemoryBudget
{
    private sealed class Waiter(long bytes)
    {
        public long Bytes { get; } = bytes;
        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration Registration { get; set; }
    }

    private readonly object _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private long _used;

    public MemoryBudget(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        Capacity = capacityBytes;
    }

    public long Capacity { get; }

    public long Used
    {
        get { lock (_gate) return _used; }
    }

    /// <summary>Completes once <paramref name="bytes"/> are reserved; cancelling the wait reserves nothing.</summary>
    public Task WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        if (bytes > Capacity)
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, $"more than the whole budget of {Capacity} bytes");
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled(cancellationToken);
        lock (_gate)
        {
            if (_waiters.Count == 0 && _used + bytes <= Capacity)
            {
                _used += bytes;
                return Task.CompletedTask;
            }
            var waiter = new Waiter(bytes);
            LinkedListNode<Waiter> node = _waiters.AddLast(waiter);
            if (cancellationToken.CanBeCanceled)
                waiter.Registration = cancellationToken.UnsafeRegister(static (o, ct) =>
                {
                    var (budget, n) = ((MemoryBudget, LinkedListNode<Waiter>))o!;
                    budget.Cancel(n, ct);
                }, (this, node));
            return waiter.Granted.Task;
        }
    }

    public void Release(long bytes)
    {
        if (bytes <= 0) return;
        lock (_gate)
        {
            _used -= bytes;
            if (_used < 0) throw new InvalidOperationException("memory budget released more than was reserved");
            GrantWaiting();
        }
    }

    private void Cancel(LinkedListNode<Waiter> node, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (node.List is null) return; // already granted
            _waiters.Remove(node);
            node.Value.Granted.TrySetCanceled(cancellationToken);
            GrantWaiting(); // the head may have been the one blocking those behind it
        }
    }

    private void GrantWaiting()
    {
        while (_waiters.First is { } first && _used + first.Value.Bytes <= Capacity)
        {
            _waiters.RemoveFirst();
            _used += first.Value.Bytes;
            first.Value.Registration.Unregister(); // never Dispose under the lock: it waits for a running callback
            first.Value.Granted.TrySetResult();
        }
    }
}
