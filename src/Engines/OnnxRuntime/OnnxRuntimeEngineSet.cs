using System.Buffers;
using ResShift.Engines.Abstractions;

namespace ResShift.Engines.OnnxRuntime;

/// <summary>
/// The ResShift encoder, denoiser and decoder on ONNX Runtime's CPU provider, fp32.
/// Every call wraps the caller's buffers as ORT tensors in place (<see cref="OrtTensors"/>: pinned, no copies in or
/// out); ORT writes results directly into the output memory.
/// Thread safety: all methods may be called concurrently from any number of threads. ORT sessions support
/// concurrent Run, each call owns its tensors, and the only shared state (names, sessions) is read-only.
/// Dispose may race with calls in flight: those finish, later calls throw <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class OnnxRuntimeEngineSet : IEngineSet
{
    private readonly OnnxRuntimeEngineOptions _options;
    private readonly OrtSession _encoder;
    private readonly OrtSession _denoiser;
    private readonly OrtSession _decoder;
    private static readonly string[] ImageName = ["image"], LatentName = ["latent"], X0Name = ["x0"];
    private readonly string[] _denoiserInputs;
    private int _disposed;

    public OnnxRuntimeEngineSet(string encoderPath, string denoiserPath, string decoderPath, ModelGeometry geometry, int maxBatch,
        OnnxRuntimeEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(geometry);
        geometry.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        Geometry = geometry;
        MaxBatch = maxBatch;
        _options = options ?? new OnnxRuntimeEngineOptions();
        _denoiserInputs = geometry.MaskChannels > 0 ? ["x", "t", "lq", "mask"] : ["x", "t", "lq"];

        var loaded = new List<IDisposable>();
        try
        {
            _encoder = Load("encoder", encoderPath, GraphContract.Encoder(geometry), loaded);
            _denoiser = Load("denoiser", denoiserPath, GraphContract.Denoiser(geometry), loaded);
            _decoder = Load("decoder", decoderPath, GraphContract.Decoder(geometry), loaded);
        }
        catch
        {
            foreach (var d in loaded)
                d.Dispose();
            throw;
        }
    }

    public ModelGeometry Geometry { get; }

    public int MaxBatch { get; }

    public string EngineName => "onnxruntime-cpu";

    public string Precision => "fp32";
    public string Device => "cpu";

    public ValueTask EncodeAsync(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken cancellationToken) =>
        Dispatch(() => Encode(image, latent, batch, cancellationToken), cancellationToken);

    public ValueTask DenoiseAsync(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken cancellationToken) =>
        Dispatch(() => Denoise(xScaled, t, lq, x0, batch, cancellationToken), cancellationToken);

    public ValueTask DecodeAsync(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken cancellationToken) =>
        Dispatch(() => Decode(latent, image, batch, cancellationToken), cancellationToken);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _encoder.Dispose();
        _denoiser.Dispose();
        _decoder.Dispose();
    }

    private OrtSession Load(string graph, string path, GraphContract contract, List<IDisposable> loaded)
    {
        // One profile per graph: ORT names the file PREFIX_<second>.json, so three sessions would collide.
        var settings = string.IsNullOrEmpty(_options.Session.ProfileFilePrefix)
            ? _options.Session
            : _options.Session with { ProfileFilePrefix = $"{_options.Session.ProfileFilePrefix}-{graph}" };
        var session = OrtSession.FromFile(path, settings);
        loaded.Add(session);
        GraphContractValidator.Validate(contract, session, MaxBatch);
        return session;
    }

    private void Encode(ReadOnlyMemory<float> image, Memory<float> latent, int batch, CancellationToken ct)
    {
        CheckUsable(batch);
        using var input = OrtTensors.Over(Take(image, batch * Geometry.ImageElements, nameof(image)), ImageShape(batch));
        using var output = OrtTensors.Over(Take(latent, batch * Geometry.LatentElements, nameof(latent)), LatentShape(batch));
        _encoder.Run(ImageName, [input], LatentName, [output], ct);
    }

    private void Denoise(ReadOnlyMemory<float> xScaled, long t, ReadOnlyMemory<float> lq, Memory<float> x0, int batch, CancellationToken ct)
    {
        CheckUsable(batch);
        var steps = new long[batch]; // the graph takes one step index per sample; the sampler runs a batch at one step
        Array.Fill(steps, t);
        using var x = OrtTensors.Over(Take(xScaled, batch * Geometry.LatentElements, nameof(xScaled)), LatentShape(batch));
        using var tensorT = OrtTensors.Over(new Memory<long>(steps), batch);
        using var output = OrtTensors.Over(Take(x0, batch * Geometry.LatentElements, nameof(x0)), LatentShape(batch));
        ReadOnlyMemory<float> tiles = Take(lq, batch * Geometry.LqElements, nameof(lq));
        if (Geometry.MaskChannels == 0)
        {
            using var lqTensor = OrtTensors.Over(tiles, LqShape(batch));
            _denoiser.Run(_denoiserInputs, [x, tensorT, lqTensor], X0Name, [output], ct);
            return;
        }
        // Each tile carries its mask plane after its image planes; the graph takes them as two tensors.
        int image = Geometry.LqImageElements, mask = Geometry.LqElements - image;
        float[] images = ArrayPool<float>.Shared.Rent(batch * image), masks = ArrayPool<float>.Shared.Rent(batch * mask);
        try
        {
            ReadOnlySpan<float> all = tiles.Span;
            for (int i = 0; i < batch; i++)
            {
                all.Slice(i * Geometry.LqElements, image).CopyTo(images.AsSpan(i * image, image));
                all.Slice(i * Geometry.LqElements + image, mask).CopyTo(masks.AsSpan(i * mask, mask));
            }
            using var lqTensor = OrtTensors.Over(new ReadOnlyMemory<float>(images, 0, batch * image), LqShape(batch));
            using var maskTensor = OrtTensors.Over(new ReadOnlyMemory<float>(masks, 0, batch * mask),
                [batch, Geometry.MaskChannels, Geometry.LqTile, Geometry.LqTile]);
            _denoiser.Run(_denoiserInputs, [x, tensorT, lqTensor, maskTensor], X0Name, [output], ct);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(images);
            ArrayPool<float>.Shared.Return(masks);
        }
    }

    private void Decode(ReadOnlyMemory<float> latent, Memory<float> image, int batch, CancellationToken ct)
    {
        CheckUsable(batch);
        using var input = OrtTensors.Over(Take(latent, batch * Geometry.LatentElements, nameof(latent)), LatentShape(batch));
        using var output = OrtTensors.Over(Take(image, batch * Geometry.ImageElements, nameof(image)), ImageShape(batch));
        _decoder.Run(LatentName, [input], ImageName, [output], ct);
    }

    private ValueTask Dispatch(Action work, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
            return ValueTask.FromCanceled(ct);
        if (!_options.RunInline)
            return new ValueTask(Task.Run(work, ct));

        try
        {
            work();
            return ValueTask.CompletedTask;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(ct);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    private void CheckUsable(int batch)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (batch < 1 || batch > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"Batch must be 1..{MaxBatch}.");
    }

    private static ReadOnlyMemory<float> Take(ReadOnlyMemory<float> buffer, int needed, string name) =>
        buffer.Length >= needed ? buffer[..needed] : throw TooSmall(name, buffer.Length, needed);

    private static Memory<float> Take(Memory<float> buffer, int needed, string name) =>
        buffer.Length >= needed ? buffer[..needed] : throw TooSmall(name, buffer.Length, needed);

    private static ArgumentException TooSmall(string name, int length, int needed) =>
        new($"{name} holds {length} floats; this batch needs {needed}.", name);

    private long[] ImageShape(int batch) => [batch, Geometry.ImageChannels, Geometry.ImageTile, Geometry.ImageTile];

    private long[] LatentShape(int batch) => [batch, Geometry.LatentChannels, Geometry.LatentTile, Geometry.LatentTile];

    private long[] LqShape(int batch) => [batch, Geometry.ImageChannels, Geometry.LqTile, Geometry.LqTile];
}
