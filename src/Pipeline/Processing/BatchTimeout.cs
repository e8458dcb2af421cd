namespace ResShift.Pipeline.Processing;

/// <summary>
/// The batcher's "wait at most this long" token, reused across waits. A source that has fired cannot be reset
/// (TryReset returns false and CancelAfter does nothing), so it is replaced, and only then: a busy engine loop,
/// whose waits end with a tile, allocates nothing per wait. Linked to the pipeline's stop token, so one token
/// serves both.
/// </summary>
internal sealed class BatchTimeout(CancellationToken stop) : IDisposable
{
    private CancellationTokenSource _source = CancellationTokenSource.CreateLinkedTokenSource(stop);

    /// <summary>A token that is cancelled after <paramref name="delay"/>, or when the pipeline stops.</summary>
    public CancellationToken Arm(TimeSpan delay)
    {
        if (!_source.TryReset())
        {
            _source.Dispose();
            _source = CancellationTokenSource.CreateLinkedTokenSource(stop);
        }
        _source.CancelAfter(delay);
        return _source.Token;
    }

    public void Dispose() => _source.Dispose();
}
