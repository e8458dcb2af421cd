using ResShift.Engines.Abstractions;
using ResShift.Pipeline.Diffusion;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Tests.Support;

namespace ResShift.Pipeline.Tests.Processing;

/// <summary>
/// The engine set says how many batches it can have in flight (its slots) and the pipeline runs that many engine
/// loops (issue 11: EngineConcurrency was 1 and nothing set it, so a GPU engine's slots never overlapped).
/// </summary>
public class EngineSlotsTests
{
    private static readonly DiffusionSchedule Schedule = new(new ScheduleParameters(4, 2.0, 0.2, 0.99, 0.3));

    /// <summary>
    /// Wraps <see cref="FakeEngine"/> with a slot count and measures how many encoder calls overlap: each call
    /// waits (at most <paramref name="rendezvous"/>) for the others that could be in flight with it, so the maximum
    /// is reached whenever the pipeline really has that many batches going, however slow the machine.
    /// </summary>
    private sealed class SlottedEngine(int slots, TimeSpan rendezvous) : IEngineSet
    {
        private readonly FakeEngine _inner = new() { MaxBatch = 2 };
        private int _inFlight, _maxInFlight;

        public ModelGeometry Geometry => _inner.Geometry;
        public int MaxBatch => _inner.MaxBatch;
        public string EngineName => "slotted-fake";
        public string Precision => "fp32";
        public string Device => "none";
        public int Slots => slots;
        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public async ValueTask EncodeAsync(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken ct)
        {
            int now = Interlocked.Increment(ref _inFlight);
            int seen;
            while ((seen = _maxInFlight) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen) { }
            var deadline = DateTime.UtcNow + rendezvous;
            // Once the slots have all been busy together there is nothing left to show: stop waiting.
            while (Volatile.Read(ref _inFlight) < slots && Volatile.Read(ref _maxInFlight) < slots && DateTime.UtcNow < deadline)
                await Task.Delay(5, ct);
            try
            {
                await _inner.EncodeAsync(image, latent, batch, ct);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public ValueTask DenoiseAsync(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken ct) =>
            _inner.DenoiseAsync(xScaled, t, lq, x0, batch, ct);

        public ValueTask DecodeAsync(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken ct) =>
            _inner.DecodeAsync(latent, image, batch, ct);

        public void Dispose() => _inner.Dispose();
    }

    private static async Task<int> MaxBatchesInFlight(SlottedEngine engine, PipelineOptions options)
    {
        await using var pipeline = new RestorePipeline(engine, Schedule, options);
        // 4 jobs of 3×3 tiles (8-pixel tiles, overlap 2): 36 tiles, 18 batches of 2.
        var tasks = new List<Task<JobReport>>();
        for (int i = 0; i < 4; i++)
            tasks.Add(await pipeline.SubmitAsync(new MemoryJob($"job{i}", 20, 20, (ulong)i), CancellationToken.None));
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        return engine.MaxInFlight;
    }

    [Fact]
    public async Task The_pipeline_keeps_as_many_batches_in_flight_as_the_engine_has_slots()
    {
        var engine = new SlottedEngine(slots: 3, TimeSpan.FromSeconds(10)); // the calls meet as soon as 3 overlap
        var options = new PipelineOptions { Overlap = 2, MaxBatch = 2, MaxJobsInFlight = 4 };
        await using (var pipeline = new RestorePipeline(engine, Schedule, options))
            Assert.Equal(3, pipeline.EngineLoops);
        Assert.Equal(3, await MaxBatchesInFlight(engine, options));
    }

    [Fact]
    public async Task An_explicit_engine_concurrency_overrides_the_slot_count()
    {
        var engine = new SlottedEngine(slots: 3, TimeSpan.FromMilliseconds(50)); // one loop: every call waits this long
        Assert.Equal(1, await MaxBatchesInFlight(engine, new PipelineOptions { Overlap = 2, MaxBatch = 2, MaxJobsInFlight = 4, EngineConcurrency = 1 }));
    }

    [Fact]
    public void An_engine_that_says_nothing_has_one_slot()
    {
        IEngineSet engine = new FakeEngine();
        Assert.Equal(1, engine.Slots);
        Assert.Throws<ArgumentException>(() => new PipelineOptions { EngineConcurrency = -1 }.Validate(8));
    }
}
