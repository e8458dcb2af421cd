using System.Diagnostics;
using System.Threading.Channels;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// The one queue in front of the UNet engine that every BIRD job in the process submits its ε calls to: a bounded
/// channel drained by one engine loop that takes up to <c>maxBatch</c> calls (waiting at most <c>maxDelay</c>
/// after the first for more) and runs them as one batch, so concurrent jobs share engine batches exactly like
/// ResShift tiles. The UNet has no cross-batch terms, but ONNX Runtime's CPU kernels pick different blockings
/// for different batch sizes (last-bit differences, measured), so by default every engine call has the same
/// shape: the batch is padded to <c>maxBatch</c>. A job's result then does not depend on who it was batched
/// with, bit for bit; <c>fixedShape: false</c> trades that for less work when calls arrive alone.
/// </summary>
public sealed class UNetBatcher : IEpsilonModel, IAsyncDisposable
{
    private sealed record Call(ReadOnlyMemory<float> X, long T, Memory<float> Eps, CancellationToken Token)
    {
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private readonly IUNetEngine _engine;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxDelay;
    private readonly Channel<Call> _calls;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private long _callCount, _batchCount;

    private readonly bool _fixedShape;

    public UNetBatcher(IUNetEngine engine, int maxBatch, TimeSpan maxDelay, bool fixedShape = true)
    {
        _fixedShape = fixedShape;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _engine = engine;
        _maxBatch = maxBatch;
        _maxDelay = maxDelay;
        _calls = Channel.CreateBounded<Call>(new BoundedChannelOptions(4 * maxBatch) { SingleReader = true });
        _loop = Task.Factory.StartNew(() => RunAsync(_stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public int ImageElements => _engine.Channels * _engine.Image * _engine.Image;
    public int Image => _engine.Image;

    /// <summary>UNet calls completed and engine batches run (for calls/s and mean batch figures).</summary>
    public (long Calls, long Batches) Counts => (Interlocked.Read(ref _callCount), Interlocked.Read(ref _batchCount));

    public async ValueTask PredictAsync(ReadOnlyMemory<float> x, long t, Memory<float> eps, CancellationToken cancellationToken)
    {
        if (x.Length != ImageElements || eps.Length != ImageElements)
            throw new ArgumentException($"x and eps must hold {ImageElements} values ({_engine.Channels}×{_engine.Image}×{_engine.Image})");
        var call = new Call(x, t, eps, cancellationToken);
        await _calls.Writer.WriteAsync(call, cancellationToken).ConfigureAwait(false);
        await call.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync(CancellationToken stop)
    {
        int n = ImageElements;
        float[] x = new float[_maxBatch * n];
        float[] eps = new float[_maxBatch * n];
        long[] t = new long[_maxBatch];
        var batch = new List<Call>(_maxBatch);
        try
        {
            while (await _calls.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                batch.Clear();
                long deadline = 0;
                while (batch.Count < _maxBatch)
                {
                    if (_calls.Reader.TryRead(out Call? c))
                    {
                        if (c.Token.IsCancellationRequested) { c.Done.TrySetCanceled(c.Token); continue; }
                        batch.Add(c);
                        if (batch.Count == 1) deadline = Stopwatch.GetTimestamp() + (long)(_maxDelay.TotalSeconds * Stopwatch.Frequency);
                        continue;
                    }
                    long left = deadline - Stopwatch.GetTimestamp();
                    if (batch.Count == 0 || left <= 0) break;
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop);
                    wait.CancelAfter(TimeSpan.FromSeconds((double)left / Stopwatch.Frequency));
                    try { if (!await _calls.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false)) break; }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested) { break; }
                }
                if (batch.Count == 0) continue;
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i].X.Span.CopyTo(x.AsSpan(i * n, n));
                    t[i] = batch[i].T;
                }
                try
                {
                    int run = batch.Count;
                    if (_fixedShape && run < _maxBatch)
                    {
                        // Padding slots: zeros at t = 0; their outputs are discarded.
                        Array.Clear(x, run * n, (_maxBatch - run) * n);
                        Array.Clear(t, run, _maxBatch - run);
                        run = _maxBatch;
                    }
                    _engine.Run(x, t, eps, run, stop);
                    for (int i = 0; i < batch.Count; i++)
                    {
                        eps.AsSpan(i * n, n).CopyTo(batch[i].Eps.Span);
                        batch[i].Done.TrySetResult();
                    }
                    Interlocked.Add(ref _callCount, batch.Count);
                    Interlocked.Increment(ref _batchCount);
                }
                catch (Exception e)
                {
                    foreach (Call c in batch) c.Done.TrySetException(e);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            while (_calls.Reader.TryRead(out Call? c)) c.Done.TrySetException(new ObjectDisposedException(nameof(UNetBatcher)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Calls already queued are still run; jobs stop submitting before the batcher is disposed.
        _calls.Writer.TryComplete();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
