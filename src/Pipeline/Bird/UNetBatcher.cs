using System.Threading.Channels;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Bird;

/// <summary>
/// The one queue in front of the UNet engine that every BIRD job in the process submits its ε calls to: a bounded
/// channel drained by one engine loop that gathers batches with the same <see cref="BatchGatherer{T}"/> as the
/// ResShift tile pipeline (up to <c>maxBatch</c> calls, waiting at most <c>maxDelay</c> after the first) and runs
/// them as one call of the engine contract (<see cref="IBatchedGraph"/>), so concurrent jobs share engine batches
/// exactly like ResShift tiles. The UNet has no cross-batch terms, but ONNX Runtime's CPU kernels pick different blockings
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

    private readonly IBatchedGraph _unet;
    private readonly int _channels, _image;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxDelay;
    private readonly Channel<Call> _calls;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private long _callCount, _batchCount;

    private readonly bool _fixedShape;

    public UNetBatcher(IBatchedGraph unet, int maxBatch, TimeSpan maxDelay, bool fixedShape = true)
    {
        _fixedShape = fixedShape;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        if (maxBatch > unet.MaxBatch) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, $"the UNet engine runs batches of up to {unet.MaxBatch}");
        _unet = unet;
        long[] item = unet.Signature.Input("x").ItemShape;
        (_channels, _image) = ((int)item[0], (int)item[1]);
        _maxBatch = maxBatch;
        _maxDelay = maxDelay;
        _calls = Channel.CreateBounded<Call>(new BoundedChannelOptions(4 * maxBatch) { SingleReader = true });
        _loop = Task.Factory.StartNew(() => RunAsync(_stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    public int ImageElements => _channels * _image * _image;
    public int Image => _image;

    /// <summary>UNet calls completed and engine batches run (for calls/s and mean batch figures).</summary>
    public (long Calls, long Batches) Counts => (Interlocked.Read(ref _callCount), Interlocked.Read(ref _batchCount));

    public async ValueTask PredictAsync(ReadOnlyMemory<float> x, long t, Memory<float> eps, CancellationToken cancellationToken)
    {
        if (x.Length != ImageElements || eps.Length != ImageElements)
            throw new ArgumentException($"x and eps must hold {ImageElements} values ({_channels}×{_image}×{_image})");
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
        using var gatherer = new BatchGatherer<Call>(_calls.Reader, _maxBatch, _maxDelay, stop);
        try
        {
            while (await _calls.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                await gatherer.GatherAsync(batch, static c => !c.Token.IsCancellationRequested, static c => c.Done.TrySetCanceled(c.Token)).ConfigureAwait(false);
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
                    BirdUNet.Run(_unet, x, t, eps, run, stop);
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
