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
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _input; // the opened input between probe and load, when streamed
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
        if (await OpenAsync(cancellationToken).ConfigureAwait(false) is { } input)
        {
            // Streamed: hashed and decoded from the open file, never held whole in memory.
            try
            {
                Content = await HashAsync(input, cancellationToken).ConfigureAwait(false);
                (int w, int h) = _decoder.ReadSize(input, Name);
                Interlocked.Exchange(ref _input, input)?.Dispose();
                return new ImageSize(w, h);
            }
            catch
            {
                input.Dispose();
                throw;
            }
        }
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
        using DecodedImage image = await DecodeAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>The input decoded: from the handle the probe opened, or a fresh one, or (files without handles) from its bytes.</summary>
    private async Task<DecodedImage> DecodeAsync(CancellationToken cancellationToken)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle? input = Interlocked.Exchange(ref _input, null);
        if (input is null && Interlocked.Exchange(ref _encoded, null) is { } probed) return _decoder.Decode(probed, Name, cancellationToken);
        input ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
        if (input is null)
        {
            byte[] bytes = await ReadAsync(cancellationToken).ConfigureAwait(false);
            Content = ContentKey.Of(bytes);
            return _decoder.Decode(bytes, Name, cancellationToken);
        }
        using (input)
        {
            Content ??= await HashAsync(input, cancellationToken).ConfigureAwait(false);
            return _decoder.Decode(input, Name, cancellationToken);
        }
    }

    /// <summary>SHA-256 of an open file, read by offset in pooled blocks.</summary>
    private static async Task<ContentKey> HashAsync(Microsoft.Win32.SafeHandles.SafeFileHandle input, CancellationToken cancellationToken)
    {
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        byte[] block = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long offset = 0;
            for (int n; (n = await RandomAccess.ReadAsync(input, block, offset, cancellationToken).ConfigureAwait(false)) > 0; offset += n)
                sha.AppendData(block, 0, n);
            return new ContentKey(Convert.ToHexStringLower(sha.GetHashAndReset()));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(block);
        }
    }

    private async Task<Microsoft.Win32.SafeHandles.SafeFileHandle?> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            return Files is null ? null : await Files.OpenInputAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e) is { } mapped)
        {
            throw mapped;
        }
    }

    private async Task<byte[]> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return Files is null
                ? await File.ReadAllBytesAsync(InputPath, cancellationToken).ConfigureAwait(false)
                : await Files.ReadInputAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Map(e) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>A failure to open or read the input as the decode error it means for the job.</summary>
    private ImageDecodeException? Map(Exception e) => e switch
    {
        UnsafePathException u => new ImageDecodeException(Name, u.Reason == UnsafePathReason.TooLarge ? ImageDecodeFailure.TooLarge : ImageDecodeFailure.Unreadable, u.Message, u),
        FileNotFoundException or DirectoryNotFoundException => new ImageDecodeException(Name, ImageDecodeFailure.NotFound, "file not found", e),
        UnauthorizedAccessException => new ImageDecodeException(Name, ImageDecodeFailure.Unreadable, "permission denied or a directory", e),
        _ => null,
    };

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
