using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Threading.Channels;
using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Noise;
using ResShift.Pipeline.Tiling;

namespace ResShift.Pipeline.Processing;

/// <summary>
/// The restoration pipeline for one engine set: intake → load → tile → batcher → engine → blend → write,
/// connected by bounded channels so memory stays bounded however much work waits upstream.
/// Tiles of every job in flight share one tile queue, so the batcher fills engine calls across jobs
/// (dynamic batching at tile granularity), and a huge job cannot starve small ones: each job's tiles wait
/// their turn on the bounded queue alongside the others'. `restore` and `serve` both run on this.
/// </summary>
public sealed class RestorePipeline : IAsyncDisposable
{
    private readonly IEngineSet _engines;
    private readonly ModelGeometry _g;
    private readonly PipelineOptions _options;
    private readonly DiffusionSampler _sampler;
    private readonly int _maxBatch;
    private readonly Channel<JobState> _intake;
    private readonly Channel<TileWork> _tiles;
    private readonly Channel<JobState> _finish;
    private readonly SemaphoreSlim _jobSlots;
    private readonly MemoryBudget _memory;
    private readonly ConcurrentDictionary<JobState, byte> _live = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _completion;
    private int _inFlight;
    private int _intakeDepth;

    public RestorePipeline(IEngineSet engines, DiffusionSchedule schedule, PipelineOptions options, INoiseSource? noise = null)
    {
        _engines = engines;
        _g = engines.Geometry;
        _options = options;
        options.Validate(_g.LqTile);
        if (options.Input.Mask != (_g.MaskChannels > 0))
            throw new ArgumentException($"the input contract ({(options.Input.Mask ? "with" : "without")} mask) does not match the engines' geometry ({_g.MaskChannels} mask channels)");
        _maxBatch = Math.Min(options.MaxBatch, engines.MaxBatch);
        // Seed and noise scale are per job (JobSettings): the sampler takes the full noise and a per-tile scale.
        _sampler = new DiffusionSampler(engines, new SamplerConstants(schedule, 1.0), noise ?? new NoiseField(0));
        _intake = Channel.CreateBounded<JobState>(new BoundedChannelOptions(options.IntakeCapacity) { SingleWriter = false });
        EngineLoops = options.EngineConcurrency > 0 ? options.EngineConcurrency : Math.Max(1, engines.Slots);
        _tiles = Channel.CreateBounded<TileWork>(new BoundedChannelOptions(2 * _maxBatch * (EngineLoops + 1)));
        _finish = Channel.CreateBounded<JobState>(new BoundedChannelOptions(options.MaxJobsInFlight));
        _jobSlots = new SemaphoreSlim(options.MaxJobsInFlight, options.MaxJobsInFlight);
        _memory = new MemoryBudget(options.JobMemoryBudget);

        Task loaders = Task.WhenAll(Enumerable.Range(0, options.MaxJobsInFlight).Select(_ => Task.Run(LoadLoopAsync)))
            .ContinueWith(_ => _tiles.Writer.TryComplete(), TaskScheduler.Default);
        Task engines2 = Task.WhenAll(Enumerable.Range(0, EngineLoops).Select(_ => Task.Run(EngineLoopAsync)))
            .ContinueWith(_ => _finish.Writer.TryComplete(), TaskScheduler.Default);
        Task writers = Task.WhenAll(Enumerable.Range(0, Math.Max(1, options.MaxJobsInFlight / 2)).Select(_ => Task.Run(WriteLoopAsync)));
        _completion = Task.WhenAll(loaders, engines2, writers);
        PipelineMetrics.Register(this);
        FidelityMetrics.Initialise(options.Model);
    }

    public ModelGeometry Geometry => _g;

    /// <summary>Engine loops running: batches that can be in flight at once (the engine set's slots unless overridden).</summary>
    public int EngineLoops { get; }

    /// <summary>Raised after every engine batch that completes: the daemon feeds the systemd watchdog from it.</summary>
    public event Action? Progressed;
    public int InFlightJobs => Volatile.Read(ref _inFlight);
    public int IntakeDepth => Volatile.Read(ref _intakeDepth);
    public int TileQueueDepth => _tiles.Reader.CanCount ? _tiles.Reader.Count : 0;
    public int FinishQueueDepth => _finish.Reader.CanCount ? _finish.Reader.Count : 0;

    /// <summary>The memory budget of the jobs in flight, in bytes, and how much of it they hold now.</summary>
    public long JobMemoryBudget => _memory.Capacity;
    public long JobMemoryReserved => _memory.Used;

    /// <summary>Completes when every accepted job has finished after <see cref="CompleteIntake"/>.</summary>
    public Task Completion => _completion;

    /// <summary>
    /// Queues a job, waiting while the intake is full (backpressure). The returned task completes when the
    /// job's output is written, or faults with the job's error; <paramref name="cancellationToken"/> also
    /// cancels the job itself if it has not finished.
    /// </summary>
    public async ValueTask<Task<JobReport>> SubmitAsync(IRestoreJob job, CancellationToken cancellationToken)
    {
        var state = new JobState(job, cancellationToken);
        Interlocked.Increment(ref _intakeDepth);
        try
        {
            await _intake.Writer.WriteAsync(state, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _intakeDepth);
            throw;
        }
        return state.Completion.Task;
    }

    /// <summary>Submits and waits for the job.</summary>
    public async Task<JobReport> RunAsync(IRestoreJob job, CancellationToken cancellationToken) =>
        await (await SubmitAsync(job, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>No more jobs: the pipeline finishes what it has and <see cref="Completion"/> completes.</summary>
    public void CompleteIntake() => _intake.Writer.TryComplete();

    private async Task LoadLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        try
        {
            while (await _intake.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                if (!_intake.Reader.TryRead(out JobState? state)) continue;
                Interlocked.Decrement(ref _intakeDepth);
                _live.TryAdd(state, 0); // from here on, disposal completes the job's task if nothing else does
                await _jobSlots.WaitAsync(stop).ConfigureAwait(false);
                Interlocked.Increment(ref _inFlight);
                try
                {
                    await StartJobAsync(state, stop).ConfigureAwait(false);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    // Failed loads, refusals and cancellation (the job's own token) all end here, once.
                    FinishFailed(state, e);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task StartJobAsync(JobState state, CancellationToken stop)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, state.Cancellation);
        var clock = Stopwatch.StartNew();
        if (await state.Job.ProbeAsync(linked.Token).ConfigureAwait(false) is { } header)
            await ReserveMemoryAsync(state, header, linked.Token).ConfigureAwait(false);
        LqImage lq = await state.Job.LoadAsync(linked.Token).ConfigureAwait(false);
        // A load that ignored the token still ends here: the throw fails the job and frees its slot.
        linked.Token.ThrowIfCancellationRequested();
        await ReserveMemoryAsync(state, new ImageSize(lq.Width, lq.Height), linked.Token).ConfigureAwait(false);
        _options.Input.Check(state.Job.Name, lq);
        TimeSpan decode = clock.Elapsed;
        PipelineMetrics.Stage("decode", decode);

        JobSettings settings = _options.Resolve(state.Job.Settings);
        int overlap = settings.Overlap!.Value;
        double noiseScale = settings.NoiseScale!.Value;
        if (overlap < 0 || overlap >= _g.LqTile) throw new ArgumentException($"overlap must be in 0..{_g.LqTile - 1} LQ pixels, got {overlap}");
        if (!(noiseScale >= 0 && noiseScale <= 1)) throw new ArgumentException($"noise scale must be in [0, 1], got {noiseScale}");
        state.NoiseKey = NoiseField.DeriveJobKey(settings.Seed!.Value, state.Job.NoiseKey);
        state.NoiseScale = (float)noiseScale;
        var plan = TilePlan.FromOverlap(lq.Height, lq.Width, _g.LqTile, overlap);
        var report = new JobReport
        {
            Name = state.Job.Name, LqWidth = lq.Width, LqHeight = lq.Height,
            Tiles = plan.Tiles.Count, TileSize = plan.Chop, Stride = plan.Stride, StartedTimestamp = state.StartedTimestamp,
        };
        report.Add("decode", decode);
        state.Lq = lq;
        state.Fidelity = FidelityGuard.Capture(lq, _g.Scale); // the LQ itself is dropped once tiled: the guard keeps its luma
        if (lq.HasMask) HideUnknownArea(lq); // after the guard's capture: it compares the output with the input as given
        state.Plan = plan;
        state.Report = report;
        state.Blender = new TileBlender(plan, _g.Scale, _g.ImageChannels, settings.Blend!.Value);
        state.Expect(plan.Tiles.Count);
        state.Job.OnPlanned(plan.Tiles.Count);

        for (int i = 0; i < plan.Tiles.Count; i++)
        {
            linked.Token.ThrowIfCancellationRequested();
            if (state.Failed) return; // an engine batch failed it: that path freed the slot
            TileRect r = plan.Tiles[i];
            float[] buffer = ArrayPool<float>.Shared.Rent(_g.LqElements);
            long t0 = Stopwatch.GetTimestamp();
            TileExtractor.Extract(lq.Pixels, _g.LqChannels, lq.Height, lq.Width, r, _g.LqTile, buffer);
            report.Add("preprocess", Stopwatch.GetElapsedTime(t0));
            var work = new TileWork(state, i, buffer, r.Y * _g.Scale / _g.LatentFactor, r.X * _g.Scale / _g.LatentFactor);
            try
            {
                await _tiles.Writer.WriteAsync(work, linked.Token).ConfigureAwait(false);
            }
            catch
            {
                ArrayPool<float>.Shared.Return(buffer);
                throw;
            }
        }
        // Every tile is cut: the LQ image is no longer needed, unless its known pixels go back into the output.
        if (!lq.HasMask) state.Lq = null;
    }

    /// <summary>
    /// The unknown area is shown to the network as -1 (black), as the inpainting models were trained
    /// (lq = image·(1−m) − m); whatever the input holds there is never used. Known pixels are untouched.
    /// </summary>
    private static void HideUnknownArea(LqImage lq)
    {
        int plane = lq.Width * lq.Height;
        ReadOnlySpan<float> mask = lq.Mask;
        for (int c = 0; c < 3; c++)
        {
            Span<float> p = lq.Pixels.AsSpan(c * plane, plane);
            for (int i = 0; i < plane; i++)
                if (mask[i] > 0f) p[i] = -1f;
        }
    }

    /// <summary>
    /// The reference's mask_back: out = sr·m + lq·(1−m) in [0, 1]. Masks are binary, so a known pixel is the
    /// input's value exactly (its 8-bit level round-trips) and an unknown one is the model's.
    /// </summary>
    private static void PasteKnownPixels(LqImage lq, Span<float> output)
    {
        int plane = lq.Width * lq.Height;
        ReadOnlySpan<float> mask = lq.Mask;
        for (int c = 0; c < 3; c++)
        {
            ReadOnlySpan<float> known = lq.Pixels.AsSpan(c * plane, plane);
            Span<float> o = output.Slice(c * plane, plane);
            for (int i = 0; i < plane; i++)
                if (mask[i] <= 0f) o[i] = 0.5f * known[i] + 0.5f;
        }
    }

    /// <summary>
    /// Checks the job against the memory budget and reserves its share, waiting while the jobs in flight hold
    /// too much. Done from the header when the job can read one, else after loading; always before tiling.
    /// </summary>
    private async Task ReserveMemoryAsync(JobState state, ImageSize size, CancellationToken cancellationToken)
    {
        if (JobFootprint.Refusal(size, _g.Scale, _g.ImageChannels, _memory.Capacity) is { } refusal)
            throw new ImageDecodeException(state.Job.Name, ImageDecodeFailure.TooLarge, refusal);
        long need = JobFootprint.Bytes(size, _g.Scale, _g.ImageChannels);
        if (need <= state.ReservedBytes) return;
        // More than the header promised: give back what is held and queue for the whole, so a job never
        // waits while holding part of the budget (two such jobs could otherwise wait on each other).
        _memory.Release(state.TakeReservedBytes());
        await _memory.WaitAsync(need, cancellationToken).ConfigureAwait(false);
        state.ReservedBytes = need;
    }

    private async Task EngineLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        var batch = new List<TileWork>(_maxBatch);
        var origins = new List<TileNoiseOrigin>(_maxBatch);
        using var gatherer = new BatchGatherer<TileWork>(_tiles.Reader, _maxBatch, _options.MaxBatchDelay, stop);
        Action<TileWork> drop = DropFailed;
        float[] lqBatch = new float[_maxBatch * _g.LqElements];
        float[] outBatch = new float[_maxBatch * _g.ImageElements];
        try
        {
            while (await _tiles.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                await gatherer.GatherAsync(batch, static w => !w.State.Failed, drop).ConfigureAwait(false);
                if (batch.Count == 0) continue;
                await RunBatchAsync(batch, origins, lqBatch, outBatch, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>A tile whose job already failed: its buffer goes back, and the job is finished once.</summary>
    private void DropFailed(TileWork work)
    {
        ArrayPool<float>.Shared.Return(work.Lq);
        FinishFailed(work.State, new OperationCanceledException("job cancelled"));
    }

    private async Task RunBatchAsync(List<TileWork> batch, List<TileNoiseOrigin> origins, float[] lqBatch, float[] outBatch, CancellationToken stop)
    {
        int n = batch.Count;
        origins.Clear();
        for (int i = 0; i < n; i++)
        {
            TileWork w = batch[i];
            w.Lq.AsSpan(0, _g.LqElements).CopyTo(lqBatch.AsSpan(i * _g.LqElements));
            ArrayPool<float>.Shared.Return(w.Lq);
            origins.Add(new TileNoiseOrigin(w.State.NoiseKey, w.LatentY, w.LatentX, w.State.NoiseScale));
        }
        PipelineMetrics.BatchSize.Record(n);
        SamplerTimings timings;
        try
        {
            timings = await _sampler.SampleAsync(lqBatch.AsMemory(0, n * _g.LqElements), origins, outBatch.AsMemory(0, n * _g.ImageElements), stop).ConfigureAwait(false);
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            foreach (TileWork w in batch) FinishFailed(w.State, new EngineFailureException($"engine {_engines.EngineName} failed on a batch of {n} tiles: {e.Message}", e));
            return;
        }
        // Each tile is clamped to [-1, 1] on its own before blending, as the reference does (every tile runs the
        // whole pipeline, resshift.md §3 step 6 and §5): blending first, then clamping, differs wherever
        // overlapping tiles leave the range (30.7 dB against the reference on parity-tiled).
        Span<float> restored = outBatch.AsSpan(0, n * _g.ImageElements);
        // The clamp would hide ±Inf from the fidelity guard: count non-finite samples per job first (cheap when all are finite).
        if (!TensorPrimitives.IsFiniteAll(restored))
            for (int i = 0; i < n; i++)
                batch[i].State.AddNonFinite(restored.Slice(i * _g.ImageElements, _g.ImageElements));
        TensorPrimitives.Max(restored, -1f, restored);
        TensorPrimitives.Min(restored, 1f, restored);
        PipelineMetrics.Tiles.Add(n);
        Progressed?.Invoke();
        PipelineMetrics.Stage("preprocess", timings.Preprocess);
        PipelineMetrics.Stage("encode_latent", timings.EncodeLatent);
        PipelineMetrics.Stage("denoise", timings.Denoise);
        PipelineMetrics.Stage("decode_latent", timings.DecodeLatent);

        for (int i = 0; i < n; i++)
        {
            JobState s = batch[i].State;
            if (s.Failed)
            {
                FinishFailed(s, new OperationCanceledException("job cancelled"));
                continue;
            }
            JobReport report = s.Report!;
            report.Add("preprocess", timings.Preprocess / n);
            report.Add("encode_latent", timings.EncodeLatent / n);
            report.Add("denoise", timings.Denoise / n);
            report.Add("decode_latent", timings.DecodeLatent / n);
            s.Blender?.Add(batch[i].TileIndex, outBatch.AsSpan(i * _g.ImageElements, _g.ImageElements), _g.ImageTile);
            s.Job.OnTileDone();
            if (s.TileDone()) await _finish.Writer.WriteAsync(s, stop).ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        CancellationToken stop = _stop.Token;
        try
        {
            await foreach (JobState state in _finish.Reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                if (state.Failed)
                {
                    FinishFailed(state, new OperationCanceledException("job cancelled"));
                    continue;
                }
                try
                {
                    await WriteJobAsync(state, stop).ConfigureAwait(false);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    FinishFailed(state, e);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private async Task WriteJobAsync(JobState state, CancellationToken stop)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, state.Cancellation);
        JobReport report = state.Report!;
        TileBlender blender = state.Blender!;
        var clock = Stopwatch.StartNew();
        float[] pixels = blender.ResolveInPlace();
        state.Blender = null;
        // The tiles were clamped; this clamp only catches rounding in the weighted mean.
        Span<float> all = pixels.AsSpan(0, checked(_g.ImageChannels * blender.OutputHeight * blender.OutputWidth));
        FidelityGuard.Check(state, all, blender.OutputWidth, blender.OutputHeight, _options.Model); // before quantisation; throws on NaN/Inf (counted before the per-tile clamp) or a constant output
        TensorPrimitives.Max(all, -1f, all);
        TensorPrimitives.Min(all, 1f, all);
        TensorPrimitives.Multiply(all, 0.5f, all);
        TensorPrimitives.Add(all, 0.5f, all);
        if (state.Lq is { HasMask: true } masked)
        {
            PasteKnownPixels(masked, all);
            state.Lq = null;
        }
        TimeSpan post = clock.Elapsed;
        report.Add("postprocess", post);
        PipelineMetrics.Stage("postprocess", post);

        clock.Restart();
        await state.Job.WriteAsync(new RestoredImage(blender.OutputWidth, blender.OutputHeight, pixels), report, linked.Token).ConfigureAwait(false);
        TimeSpan write = clock.Elapsed;
        report.Add("write", write);
        PipelineMetrics.Stage("write", write);

        report.TotalSeconds = Stopwatch.GetElapsedTime(state.StartedTimestamp).TotalSeconds;
        PipelineMetrics.JobDuration.Record(report.TotalSeconds);
        PipelineMetrics.OutputPixels.Add((long)blender.OutputWidth * blender.OutputHeight);
        if (!state.TryFinish()) return;
        PipelineMetrics.Jobs.Add(1, new("source", state.Job.Source), new("result", "ok"));
        Release(state);
        state.Completion.TrySetResult(report);
    }

    private void FinishFailed(JobState state, Exception e)
    {
        // Every job that reaches here holds a job slot; TryFinish succeeds once, so the slot is released once.
        if (!state.TryFinish()) return;
        PipelineMetrics.Jobs.Add(1, new("source", state.Job.Source), new("result", "failed"));
        Release(state);
        state.SetFailed(e);
    }

    /// <summary>Frees a finished job's slot and memory before its task completes, so a caller sees them free.</summary>
    private void Release(JobState state)
    {
        _memory.Release(state.TakeReservedBytes());
        _live.TryRemove(state, out _);
        Interlocked.Decrement(ref _inFlight);
        _jobSlots.Release();
    }

    public async ValueTask DisposeAsync()
    {
        CompleteIntake();
        _stop.Cancel();
        try
        {
            await _completion.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        while (_intake.Reader.TryRead(out JobState? s)) s.Completion.TrySetCanceled();
        while (_tiles.Reader.TryRead(out TileWork? w)) ArrayPool<float>.Shared.Return(w.Lq);
        // Jobs the stop caught mid-way (loading, in a batch, waiting to be written) end cancelled, never pending.
        foreach (JobState s in _live.Keys) s.Completion.TrySetCanceled();
        PipelineMetrics.Unregister(this);
        _stop.Dispose();
    }
}
