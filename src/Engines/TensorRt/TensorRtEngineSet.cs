using System.Collections.Concurrent;
using ResShift.Engines.Abstractions;
using ResShift.Engines.Cuda;
using ResShift.Engines.TensorRt.Native;

namespace ResShift.Engines.TensorRt;

public sealed class TensorRtEngineOptions
{
    /// <summary>In-flight batches, each on its own stream: 2-3 lets batch k+1 upload and k−1 download while k computes.</summary>
    public int Slots { get; init; } = 3;

    /// <summary>
    /// Capture the 4-step denoise loop as one CUDA graph when shapes are static. Not implemented yet: it needs the
    /// whole loop on the GPU (the sampler update kernel is ready, see Cuda/Kernels) instead of one engine call
    /// per IEngineSet method; setting it fails loudly rather than silently doing nothing.
    /// </summary>
    public bool CaptureCudaGraph { get; init; }

    /// <summary>
    /// How long one engine call may take before it is failed: a faulted stream may never run the completion
    /// callback. The slot is then retired (its buffers may still be written by the device), not reused.
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// The TensorRT implementation of <see cref="IEngineSet"/>: three deserialized engines on one GPU. Each call takes
/// a slot (its own stream, pinned host + device buffers and one execution context per network), copies the batch
/// into pinned memory, then queues upload → enqueueV3 → download on the slot's stream and awaits a host callback
/// queued behind them (no thread blocks). Slots run on separate streams, so with N slots (and the pipeline running
/// N engine loops, see <see cref="Slots"/>) one batch's copies overlap another's compute, and small batches
/// overlap each other's kernels. Engine I/O is fp32 (fp16 lives inside the engine); <c>t</c> is int64 or int32.
/// </summary>
public sealed class TensorRtEngineSet : IEngineSet
{
    private readonly CudaContext _context;
    private readonly TrtEngineHandle[] _engines;
    private readonly ConcurrentBag<Slot> _free = new();
    private readonly List<Slot> _all = new();
    private readonly SemaphoreSlim _slots;
    private readonly TrtDataType _timestepType;
    private readonly TimeSpan _callTimeout;
    private readonly bool _ownsContext;
    private bool _disposed;

    /// <summary>The GPU's name, for metrics and status.</summary>
    public string Device => _context.Device.Name;

    /// <summary>The CUDA context the engines run in (the host reads its memory figures for resshift_gpu_memory_used_bytes).</summary>
    public CudaContext Context => _context;

    public ModelGeometry Geometry { get; }
    public int MaxBatch { get; }
    public string EngineName => "tensorrt";
    public string Precision { get; }
    public int Slots { get; }

    private enum Net { Encoder = 0, Denoiser = 1, Decoder = 2 }

    public TensorRtEngineSet(CudaContext context, byte[] encoderPlan, byte[] denoiserPlan, byte[] decoderPlan,
        ModelGeometry geometry, int maxBatch, string precision, TensorRtEngineOptions? options = null, bool ownsContext = false)
    {
        _ownsContext = ownsContext;
        options ??= new TensorRtEngineOptions();
        geometry.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Slots, 1);
        if (options.CaptureCudaGraph)
            throw new NotSupportedException("CUDA graph capture of the denoise loop is not implemented yet (docs/GPU.md, 'Not done yet')");
        _context = context;
        Geometry = geometry;
        MaxBatch = maxBatch;
        Precision = precision;
        Slots = options.Slots;
        _callTimeout = options.CallTimeout;
        // TensorRT allocates in whatever context is current: make it ours, not device 0's.
        using (context.Enter())
            _engines = [Deserialize(encoderPlan), Deserialize(denoiserPlan), Deserialize(decoderPlan)];
        _timestepType = CheckContract();
        for (int i = 0; i < options.Slots; i++)
        {
            var slot = new Slot(this);
            _all.Add(slot);
            _free.Add(slot);
        }
        _slots = new SemaphoreSlim(options.Slots, options.Slots);
    }

    private static TrtEngineHandle Deserialize(byte[] plan) => new(TrtNativeMethods.EngineDeserialize(plan));

    /// <summary>Checks names and types of every engine tensor; returns the type of the denoiser's t.</summary>
    private TrtDataType CheckContract()
    {
        (Net net, string name, bool input)[] expected =
        [
            (Net.Encoder, "image", true), (Net.Encoder, "latent", false),
            (Net.Denoiser, "x", true), (Net.Denoiser, "t", true), (Net.Denoiser, "lq", true), (Net.Denoiser, "x0", false),
            (Net.Decoder, "latent", true), (Net.Decoder, "image", false),
        ];
        TrtDataType timestep = TrtDataType.Int64;
        foreach (var (net, name, input) in expected)
        {
            var tensors = TrtNativeMethods.EngineTensors(_engines[(int)net].DangerousGetHandle());
            TrtTensor? t = tensors.FirstOrDefault(x => x.Name == name && x.IsInput == input);
            if (t is null)
                throw new InvalidDataException($"{net} engine has no {(input ? "input" : "output")} '{name}' (has {string.Join(", ", tensors.Select(x => x.Name))})");
            bool ok = name == "t" ? t.DataType is TrtDataType.Int64 or TrtDataType.Int32 : t.DataType == TrtDataType.Float;
            if (!ok) throw new InvalidDataException($"{net} engine tensor '{name}' is {t.DataType}; build engines with fp32 I/O");
            if (name == "t") timestep = t.DataType;
        }
        return timestep;
    }

    public ValueTask EncodeAsync(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken cancellationToken) =>
        RunAsync(Net.Encoder, batch, [("image", image, Geometry.ImageElements, [Geometry.ImageChannels, Geometry.ImageTile, Geometry.ImageTile])],
            ("latent", latent, Geometry.LatentElements), 0, cancellationToken);

    public ValueTask DenoiseAsync(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken cancellationToken) =>
        RunAsync(Net.Denoiser, batch,
            [("x", xScaled, Geometry.LatentElements, [Geometry.LatentChannels, Geometry.LatentTile, Geometry.LatentTile]),
             ("lq", lq, Geometry.LqElements, [Geometry.ImageChannels, Geometry.LqTile, Geometry.LqTile])],
            ("x0", x0, Geometry.LatentElements), t, cancellationToken);

    public ValueTask DecodeAsync(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken cancellationToken) =>
        RunAsync(Net.Decoder, batch, [("latent", latent, Geometry.LatentElements, [Geometry.LatentChannels, Geometry.LatentTile, Geometry.LatentTile])],
            ("image", image, Geometry.ImageElements), 0, cancellationToken);

    private async ValueTask RunAsync(Net net, int batch, (string Name, ReadOnlyMemory<float> Data, int PerTile, int[] Shape)[] inputs,
        (string Name, Memory<float> Data, int PerTile) output, long t, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (batch < 1 || batch > MaxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be 1..{MaxBatch}");
        foreach (var i in inputs)
            if (i.Data.Length < batch * i.PerTile) throw new ArgumentException($"{i.Name} holds {i.Data.Length} floats, {batch * i.PerTile} needed");
        if (output.Data.Length < batch * output.PerTile) throw new ArgumentException($"{output.Name} holds {output.Data.Length} floats, {batch * output.PerTile} needed");

        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        _free.TryTake(out Slot? slot);
        bool retired = false;
        try
        {
            await slot!.RunAsync(net, batch, inputs, output, t).AsTask().WaitAsync(_callTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            retired = true; // the device may still write into this slot's buffers: never hand it out again
            throw new TimeoutException($"TensorRT {net} call (batch {batch}) did not complete within {_callTimeout.TotalSeconds:F0} s; slot retired");
        }
        finally
        {
            if (!retired)
            {
                _free.Add(slot!);
                _slots.Release();
            }
        }
    }

    /// <summary>One in-flight batch's resources: a stream, a context per network and buffers sized for MaxBatch.</summary>
    private sealed class Slot : IDisposable
    {
        private readonly TensorRtEngineSet _set;
        private readonly CudaStream _stream;
        private readonly TrtContextHandle[] _contexts;
        private readonly Dictionary<string, (DeviceBuffer Device, PinnedBuffer Host)> _buffers = new();

        public Slot(TensorRtEngineSet set)
        {
            _set = set;
            ModelGeometry g = set.Geometry;
            using var _ = set._context.Enter();
            _stream = set._context.CreateStream();
            _contexts = set._engines.Select(e => new TrtContextHandle(TrtNativeMethods.ContextCreate(e.DangerousGetHandle()))).ToArray();
            long b = set.MaxBatch;
            foreach (var (name, floats) in new[] { ("image", g.ImageElements), ("latent", g.LatentElements), ("x", g.LatentElements), ("lq", g.LqElements), ("x0", g.LatentElements), ("t", 2) })
                _buffers[name] = (set._context.Allocate(b * floats * sizeof(float)), set._context.AllocatePinned(b * floats * sizeof(float)));
        }

        public async ValueTask RunAsync(Net net, int batch, (string Name, ReadOnlyMemory<float> Data, int PerTile, int[] Shape)[] inputs,
            (string Name, Memory<float> Data, int PerTile) output, long t)
        {
            nint ctx = _contexts[(int)net].DangerousGetHandle();
            foreach (var i in inputs)
                i.Data.Span[..(batch * i.PerTile)].CopyTo(_buffers[i.Name].Host.AsSpan<float>());
            int timestepBytes = net == Net.Denoiser ? TimestepInput.Write(_set._timestepType, t, batch, _buffers["t"].Host.AsSpan<byte>()) : 0;
            using (_set._context.Enter())
            {
                foreach (var i in inputs)
                {
                    var (dev, host) = _buffers[i.Name];
                    dev.CopyFromAsync(host, (long)batch * i.PerTile * sizeof(float), _stream);
                    TrtNativeMethods.SetInputShape(ctx, i.Name, [batch, .. i.Shape.Select(d => (long)d)]);
                    TrtNativeMethods.SetTensorAddress(ctx, i.Name, dev.Pointer);
                }
                if (net == Net.Denoiser)
                {
                    var (dev, host) = _buffers["t"];
                    dev.CopyFromAsync(host, timestepBytes, _stream);
                    TrtNativeMethods.SetInputShape(ctx, "t", [batch]);
                    TrtNativeMethods.SetTensorAddress(ctx, "t", dev.Pointer);
                }
                var (outDev, outHost) = _buffers[output.Name];
                TrtNativeMethods.SetTensorAddress(ctx, output.Name, outDev.Pointer);
                TrtNativeMethods.Enqueue(ctx, _stream.NativeHandle);
                outDev.CopyToAsync(outHost, (long)batch * output.PerTile * sizeof(float), _stream);
            }
            // A host callback behind the download completes the call; the GPU keeps working on other slots meanwhile.
            await _stream.WhenIdleAsync().ConfigureAwait(false);
            _buffers[output.Name].Host.AsSpan<float>()[..(batch * output.PerTile)].CopyTo(output.Data.Span);
        }

        public void Dispose()
        {
            using var _ = _set._context.Enter();
            foreach (var c in _contexts) c.Dispose();
            foreach (var (d, h) in _buffers.Values) { d.Dispose(); h.Dispose(); }
            _stream.Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { _context.Synchronize(); } catch (CudaException) { }
        foreach (var s in _all) s.Dispose();
        using (_context.Enter())
            foreach (var e in _engines) e.Dispose();
        _slots.Dispose();
        if (_ownsContext) _context.Dispose();
    }
}
