using System.Collections.Concurrent;
using ResShift.Engines.Abstractions;
using ResShift.Engines.Cuda;
using ResShift.Engines.TensorRt.Native;

namespace ResShift.Engines.TensorRt;

public sealed class TensorRtEngineOptions
{
    /// <summary>In-flight batches: 2-3 lets batch k+1 upload and k−1 download while k computes.</summary>
    public int Slots { get; init; } = 3;

    /// <summary>
    /// Capture the 4-step denoise loop as one CUDA graph when shapes are static. Not implemented yet: it needs the
    /// whole loop on the GPU (the sampler update kernel is ready, see Cuda/Kernels) instead of one engine call
    /// per IEngineSet method; setting it fails loudly rather than silently doing nothing.
    /// </summary>
    public bool CaptureCudaGraph { get; init; }
}

/// <summary>
/// The TensorRT implementation of <see cref="IEngineSet"/>: three deserialized engines on one GPU. Each call takes
/// a slot (pinned host + device buffers and one execution context per network), copies the batch into pinned
/// memory, then queues upload (copy stream) → enqueueV3 (compute stream) → download (second copy stream), ordered
/// by events, and awaits the download event off-thread. With several slots, uploads and downloads of neighbouring
/// batches overlap the current batch's compute. Engine I/O is fp32 (fp16 lives inside the engine).
/// </summary>
public sealed class TensorRtEngineSet : IEngineSet
{
    private readonly CudaContext _context;
    private readonly CudaStream _upload, _compute, _download;
    private readonly TrtEngineHandle[] _engines;
    private readonly ConcurrentBag<Slot> _free = new();
    private readonly List<Slot> _all = new();
    private readonly SemaphoreSlim _slots;
    private readonly object _queueLock = new(); // keeps each call's three stream submissions together
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
        _engines = [Deserialize(encoderPlan), Deserialize(denoiserPlan), Deserialize(decoderPlan)];
        CheckContract();
        _upload = context.CreateStream();
        _compute = context.CreateStream();
        _download = context.CreateStream();
        for (int i = 0; i < options.Slots; i++)
        {
            var slot = new Slot(this);
            _all.Add(slot);
            _free.Add(slot);
        }
        _slots = new SemaphoreSlim(options.Slots, options.Slots);
    }

    private static TrtEngineHandle Deserialize(byte[] plan) => new(TrtNativeMethods.EngineDeserialize(plan));

    private void CheckContract()
    {
        (Net net, string name, bool input)[] expected =
        [
            (Net.Encoder, "image", true), (Net.Encoder, "latent", false),
            (Net.Denoiser, "x", true), (Net.Denoiser, "t", true), (Net.Denoiser, "lq", true), (Net.Denoiser, "x0", false),
            (Net.Decoder, "latent", true), (Net.Decoder, "image", false),
        ];
        foreach (var (net, name, input) in expected)
        {
            var tensors = TrtNativeMethods.EngineTensors(_engines[(int)net].DangerousGetHandle());
            TrtTensor? t = tensors.FirstOrDefault(x => x.Name == name && x.IsInput == input);
            if (t is null)
                throw new InvalidDataException($"{net} engine has no {(input ? "input" : "output")} '{name}' (has {string.Join(", ", tensors.Select(x => x.Name))})");
            bool ok = name == "t" ? t.DataType is TrtDataType.Int64 or TrtDataType.Int32 : t.DataType == TrtDataType.Float;
            if (!ok) throw new InvalidDataException($"{net} engine tensor '{name}' is {t.DataType}; build engines with fp32 I/O");
        }
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
        try
        {
            await slot!.RunAsync(net, batch, inputs, output, t).ConfigureAwait(false);
        }
        finally
        {
            _free.Add(slot!);
            _slots.Release();
        }
    }

    /// <summary>One in-flight batch's resources: a context per network and buffers sized for MaxBatch.</summary>
    private sealed class Slot : IDisposable
    {
        private readonly TensorRtEngineSet _set;
        private readonly TrtContextHandle[] _contexts;
        private readonly Dictionary<string, (DeviceBuffer Device, PinnedBuffer Host)> _buffers = new();
        private readonly CudaEvent _uploaded, _computed, _downloaded;

        public Slot(TensorRtEngineSet set)
        {
            _set = set;
            ModelGeometry g = set.Geometry;
            using var _ = set._context.Enter();
            _contexts = set._engines.Select(e => new TrtContextHandle(TrtNativeMethods.ContextCreate(e.DangerousGetHandle()))).ToArray();
            long b = set.MaxBatch;
            foreach (var (name, floats) in new[] { ("image", g.ImageElements), ("latent", g.LatentElements), ("x", g.LatentElements), ("lq", g.LqElements), ("x0", g.LatentElements), ("t", 2) })
                _buffers[name] = (set._context.Allocate(b * floats * sizeof(float)), set._context.AllocatePinned(b * floats * sizeof(float)));
            _uploaded = set._context.CreateEvent();
            _computed = set._context.CreateEvent();
            _downloaded = set._context.CreateEvent();
        }

        public async ValueTask RunAsync(Net net, int batch, (string Name, ReadOnlyMemory<float> Data, int PerTile, int[] Shape)[] inputs,
            (string Name, Memory<float> Data, int PerTile) output, long t)
        {
            nint ctx = _contexts[(int)net].DangerousGetHandle();
            foreach (var i in inputs)
                i.Data.Span[..(batch * i.PerTile)].CopyTo(_buffers[i.Name].Host.AsSpan<float>());
            if (net == Net.Denoiser)
            {
                Span<long> ts = _buffers["t"].Host.AsSpan<long>();
                ts[..batch].Fill(t);
            }
            lock (_set._queueLock)
            {
                using var _ = _set._context.Enter();
                foreach (var i in inputs)
                {
                    var (dev, host) = _buffers[i.Name];
                    dev.CopyFromAsync(host, (long)batch * i.PerTile * sizeof(float), _set._upload);
                    TrtNativeMethods.SetInputShape(ctx, i.Name, [batch, .. i.Shape.Select(d => (long)d)]);
                    TrtNativeMethods.SetTensorAddress(ctx, i.Name, dev.Pointer);
                }
                if (net == Net.Denoiser)
                {
                    var (dev, host) = _buffers["t"];
                    dev.CopyFromAsync(host, batch * sizeof(long), _set._upload);
                    TrtNativeMethods.SetInputShape(ctx, "t", [batch]);
                    TrtNativeMethods.SetTensorAddress(ctx, "t", dev.Pointer);
                }
                var (outDev, outHost) = _buffers[output.Name];
                TrtNativeMethods.SetTensorAddress(ctx, output.Name, outDev.Pointer);
                _uploaded.Record(_set._upload);
                _set._compute.Wait(_uploaded);
                TrtNativeMethods.Enqueue(ctx, _set._compute.NativeHandle);
                _computed.Record(_set._compute);
                _set._download.Wait(_computed);
                outDev.CopyToAsync(outHost, (long)batch * output.PerTile * sizeof(float), _set._download);
                _downloaded.Record(_set._download);
            }
            // The host waits off the caller's thread; the GPU keeps working on other slots meanwhile.
            await Task.Run(_downloaded.Synchronize).ConfigureAwait(false);
            _buffers[output.Name].Host.AsSpan<float>()[..(batch * output.PerTile)].CopyTo(output.Data.Span);
        }

        public void Dispose()
        {
            foreach (var c in _contexts) c.Dispose();
            foreach (var (d, h) in _buffers.Values) { d.Dispose(); h.Dispose(); }
            _uploaded.Dispose();
            _computed.Dispose();
            _downloaded.Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { _context.Synchronize(); } catch (CudaException) { }
        foreach (var s in _all) s.Dispose();
        foreach (var e in _engines) e.Dispose();
        _upload.Dispose();
        _compute.Dispose();
        _download.Dispose();
        _slots.Dispose();
        if (_ownsContext) _context.Dispose();
    }
}
