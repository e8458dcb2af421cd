using System.Numerics.Tensors;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Processing;
using ResShift.Pipeline.Resampling;

namespace ResShift.Pipeline.Jobs;

/// <summary>
/// Restores one image file into another. The colour planes go through the model; alpha does not: it is
/// upsampled bicubically on its own and re-attached. Gray stays gray, 16-bit stays 16-bit where the output
/// format allows, ICC and EXIF are carried over, and the output appears atomically.
/// </summary>
public sealed class FileRestoreJob : IRestoreJob
{
    private readonly ImageDecoder _decoder;
    private readonly ImageEncoder _encoder;
    private readonly int _scale;
    private float[]? _alpha;
    private byte[]? _encoded;
    private int _width, _height;
    private ImageMetadata? _metadata;

    public FileRestoreJob(string inputPath, string outputPath, string displayName, string source, int scale, ImageDecoder decoder, ImageEncoder encoder)
    {
        InputPath = inputPath;
        OutputPath = outputPath;
        Name = displayName;
        Source = source;
        _scale = scale;
        _decoder = decoder;
        _encoder = encoder;
    }

    public string InputPath { get; }
    public string OutputPath { get; }
    public string Name { get; }
    public string Source { get; }
    public ContentKey? Content { get; private set; }
    public JobSettings Settings { get; init; } = JobSettings.Default;

    /// <summary>Reads and writes through root directory handles (daemon intakes); null uses the paths as given (restore).</summary>
    public IJobFiles? Files { get; init; }

    /// <summary>The inpainting mask that goes with this image, for a model whose task takes one.</summary>
    public MaskSource? Mask { get; init; }

    /// <summary>Set when the pipeline begins loading: a job that never started can be handed back untouched.</summary>
    public bool Started => Volatile.Read(ref _started) != 0;
    private int _started;

    public int InputWidth => _width;
    public int InputHeight => _height;
    public ulong NoiseKey => Content?.NoiseKey ?? throw new InvalidOperationException("the job has not been loaded");

    /// <summary>Progress hooks (restore's progress bar): tiles planned for this job, then one call per finished tile.</summary>
    public Action<int>? Planned { get; init; }
    public Action? TileDone { get; init; }

    void IRestoreJob.OnPlanned(int tiles) => Planned?.Invoke(tiles);
    void IRestoreJob.OnTileDone() => TileDone?.Invoke();

    /// <summary>
    /// Decides, once the report's figures are known and before anything is written, whether the output goes somewhere
    /// else than <see cref="OutputPath"/> (the fidelity guard's review folder): the other target, or null to keep it.
    /// A job with <see cref="Files"/> must be diverted to a target with files of its own (root handles again).
    /// </summary>
    public Func<JobReport, OutputTarget?>? Divert { get; init; }

    /// <summary>
    /// Where the output was written: <see cref="OutputPath"/>, the free variant of it the files chose
    /// (photo-2.png), or where <see cref="Divert"/> sent it.
    /// </summary>
    public string WrittenPath { get; private set; } = "";

    /// <summary>True when <see cref="Divert"/> sent the output elsewhere.</summary>
    public bool Diverted { get; private set; }

    /// <summary>Called after the output is durably in place (e.g. to write a provenance sidecar).</summary>
    public Func<FileRestoreJob, JobReport, CancellationToken, ValueTask>? AfterWrite { get; init; }

    /// <summary>Reads the file and its header (kept for <see cref="LoadAsync"/>): the size, before any pixel is decoded.</summary>
    public async ValueTask<ImageSize?> ProbeAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Exchange(ref _started, 1);
        byte[] bytes = await ReadAsync(cancellationToken).ConfigureAwait(false);
        Content = ContentKey.Of(bytes);
        (int width, int height) = _decoder.ReadSize(bytes, Name);
        _encoded = bytes;
        return new ImageSize(width, height);
    }

    public async ValueTask<LqImage> LoadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Exchange(ref _started, 1);
        byte[]? bytes = Interlocked.Exchange(ref _encoded, null);
        if (bytes is null)
        {
            bytes = await ReadAsync(cancellationToken).ConfigureAwait(false);
            Content = ContentKey.Of(bytes);
        }
        using DecodedImage image = _decoder.Decode(bytes, Name, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        _width = image.Width;
        _height = image.Height;
        _metadata = image.Metadata;
        if (image.Pixels.HasAlpha) _alpha = image.Pixels.Alpha.ToArray();

        var lq = new float[checked(3 * image.Width * image.Height)];
        Span<float> dst = lq;
        TensorPrimitives.Multiply(image.Pixels.Rgb, 2f, dst);
        TensorPrimitives.Subtract(dst, 1f, dst);
        var loaded = new LqImage(image.Width, image.Height, lq);
        return Mask is null ? loaded : await Mask.AttachAsync(loaded, Name, _decoder, cancellationToken).ConfigureAwait(false);
    }

    private async Task<byte[]> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return Files is null
                ? await File.ReadAllBytesAsync(InputPath, cancellationToken).ConfigureAwait(false)
                : await Files.ReadInputAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (UnsafePathException e)
        {
            throw new ImageDecodeException(Name, e.Reason == UnsafePathReason.TooLarge ? ImageDecodeFailure.TooLarge : ImageDecodeFailure.Unreadable, e.Message, e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDecodeException(Name, ImageDecodeFailure.NotFound, "file not found", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImageDecodeException(Name, ImageDecodeFailure.Unreadable, "permission denied or a directory", e);
        }
    }

    public async ValueTask WriteAsync(RestoredImage output, JobReport report, CancellationToken cancellationToken)
    {
        ImageMetadata metadata = _metadata ?? throw new InvalidOperationException("the job has not been loaded");
        OutputTarget? diverted = Divert?.Invoke(report);
        // A job that writes through root handles is diverted through root handles too: never a plain path.
        if (diverted is not null && Files is not null && diverted.Files is null)
            throw new InvalidOperationException("a job writing through root handles was diverted to a plain path");
        string target = diverted?.Path ?? OutputPath;
        IJobFiles? files = diverted is null ? Files : diverted.Files;
        ImageFormat format = ImageFormats.FromPath(target)
            ?? throw new ImageEncodeException(target, $"unknown output format '{Path.GetExtension(target)}' (png, jpg, tif, webp)");
        using PlanarImage pixels = PlanarImage.Allocate(output.Width, output.Height, _alpha is not null);
        output.Pixels.AsSpan(0, checked(3 * output.Width * output.Height)).CopyTo(pixels.Rgb);
        if (_alpha is not null)
        {
            new BicubicUpsampler(_scale).Upsample(_alpha, 1, _height, _width, pixels.Alpha);
            TensorPrimitives.Max(pixels.Alpha, 0f, pixels.Alpha);
            TensorPrimitives.Min(pixels.Alpha, 1f, pixels.Alpha);
        }
        Task Encode(Stream stream, CancellationToken ct)
        {
            _encoder.Encode(pixels, metadata, stream, format);
            return Task.CompletedTask;
        }
        if (files is null) await AtomicFile.WriteAsync(target, Encode, cancellationToken).ConfigureAwait(false);
        else target = await files.WriteOutputAsync(Encode, report, cancellationToken).ConfigureAwait(false);
        _alpha = null;
        WrittenPath = target;
        Diverted = diverted is not null;
        if (AfterWrite is not null) await AfterWrite(this, report, cancellationToken).ConfigureAwait(false);
    }
}
