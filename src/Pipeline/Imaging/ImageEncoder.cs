using System.Buffers;
using NetVips;

namespace ResShift.Pipeline.Imaging;

/// <summary>
/// Encodes planar float32 RGB [0, 1] (+ optional alpha) to PNG, TIFF, JPEG or WebP through libvips, with the
/// source's layout (gray stays gray), bit depth (16 stays 16 for PNG/TIFF), ICC profile and EXIF block.
/// Samples are clamped to [0, 1], scaled by 255 or 65535 and rounded half to even. Thread-safe.
/// </summary>
public sealed class ImageEncoder
{
    private const string IccField = "icc-profile-data";
    private const string ExifField = "exif-data";

    private readonly ImageEncoderOptions _options;

    public ImageEncoder(ImageEncoderOptions? options = null) => _options = options ?? new ImageEncoderOptions();

    public void Encode(DecodedImage image, string path, ImageFormat? format = null) =>
        Encode(image.Pixels, image.Metadata, path, format);

    /// <summary>Writes to exactly <paramref name="path"/> (the format comes from its extension unless given).
    /// Encoding finishes in memory before the file is created, and a failed write deletes the file, so no
    /// partial file is left behind.</summary>
    public void Encode(PlanarImage pixels, ImageMetadata metadata, string path, ImageFormat? format = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ImageFormat target = format ?? ImageFormats.FromPath(path)
            ?? throw new ImageEncodeException(path, $"unknown output extension '{Path.GetExtension(path)}'; use .png, .tif, .jpg or .webp");
        byte[] encoded = Save(pixels, metadata, target, path);
        try
        {
            using FileStream file = new(path, FileMode.Create, FileAccess.Write, FileShare.None);
            file.Write(encoded);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(path);
            throw new ImageEncodeException(path, $"cannot write the file ({e.Message})", e);
        }
    }

    public void Encode(PlanarImage pixels, ImageMetadata metadata, Stream destination, ImageFormat format)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(Save(pixels, metadata, format, "<stream>"));
    }

    public byte[] EncodeToArray(PlanarImage pixels, ImageMetadata metadata, ImageFormat format) =>
        Save(pixels, metadata, format, "<buffer>");

    /// <summary>Quantises and runs the libvips saver into a memory target (TIFF's writer seeks back, which a
    /// plain output stream cannot serve); the encoded file.</summary>
    private unsafe byte[] Save(PlanarImage pixels, ImageMetadata metadata, ImageFormat format, string destination)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(metadata);
        int depth = BitDepth(format, metadata, destination);
        // WebP has no gray mode (libvips would expand it anyway), so gray goes out as RGB there.
        bool gray = metadata.Layout.IsGray() && !_options.ForceRgb && format.SupportsGray();
        bool alpha = pixels.HasAlpha && !_options.DropAlpha;
        if (alpha && !format.SupportsAlpha())
            throw new ImageEncodeException(destination, $"{format} cannot store alpha; set DropAlpha to write without it");
        int bands = (gray ? 1 : 3) + (alpha ? 1 : 0);

        int size = checked(pixels.PixelCount * bands * (depth / 8));
        byte[] samples = ArrayPool<byte>.Shared.Rent(size);
        Libvips.EnsureInitialised();
        try
        {
            SampleConverter.ToInterleaved(pixels, bands, depth, samples.AsSpan(0, size));
            // libvips reads the pooled buffer in place (no native copy), so every image that references it must be
            // gone before the buffer is unpinned and returned: all of it stays in here.
            fixed (byte* p = samples)
            {
                using Image wrapped = Image.NewFromMemory((nint)p, (ulong)size, pixels.Width, pixels.Height, bands,
                    depth == 16 ? Enums.BandFormat.Ushort : Enums.BandFormat.Uchar);
                using Image image = _options.KeepMetadata ? WithMetadata(wrapped, metadata, gray) : wrapped.Copy();
                using Target target = Target.NewToMemory();
                Write(image, target, format, depth);
                return target.Blob;
            }
        }
        catch (VipsException e)
        {
            throw new ImageEncodeException(destination, $"{format} encoding failed ({VipsInput.Describe(e)})", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(samples);
        }
    }

    private int BitDepth(ImageFormat format, ImageMetadata metadata, string destination)
    {
        if (!format.Supports16Bit())
        {
            if (_options.BitDepth is 16)
                throw new ImageEncodeException(destination, $"{format} is 8-bit only; 16-bit output needs PNG or TIFF");
            return 8;
        }
        int depth = _options.BitDepth ?? metadata.BitDepth;
        if (depth is not (8 or 16))
            throw new ImageEncodeException(destination, $"bit depth {depth} is not supported; use 8 or 16");
        return depth;
    }

    private static Image WithMetadata(Image image, ImageMetadata metadata, bool gray) => image.Mutate(m =>
    {
        // A profile must describe the channels written: a gray profile on RGB data (ForceRgb) or the reverse
        // would be wrong, so it is left out rather than attached.
        if (metadata.IccProfile is { Length: > 0 } icc && IccMatches(icc, gray))
            m.Set(GValue.BlobType, IccField, icc);
        // libvips regenerates the block on save and writes Orientation = 1 since the image has no
        // orientation field: the pixels are upright already.
        if (metadata.Exif is { Length: > 0 } exif)
            m.Set(GValue.BlobType, ExifField, exif);
    });

    /// <summary>Checks the ICC header's data colour space (bytes 16–19) against the channels being written.</summary>
    private static bool IccMatches(byte[] icc, bool gray)
    {
        if (icc.Length < 20)
            return false;
        ReadOnlySpan<byte> space = icc.AsSpan(16, 4);
        return gray ? space.SequenceEqual("GRAY"u8) : space.SequenceEqual("RGB "u8);
    }

    /// <summary>The saver with our settings. PNG is told its depth: pngsave writes 8-bit unless asked, even for
    /// ushort input; TIFF takes its depth from the band format. Lossless WebP keeps the colour under transparent
    /// pixels (exact).</summary>
    private void Write(Image image, Target target, ImageFormat format, int depth)
    {
        const Enums.ForeignKeep keep = Enums.ForeignKeep.All;
        switch (format)
        {
            case ImageFormat.Png:
                image.PngsaveTarget(target, compression: Math.Clamp(_options.PngCompression, 0, 9), bitdepth: depth, keep: keep);
                break;
            case ImageFormat.Jpeg:
                image.JpegsaveTarget(target, q: Math.Clamp(_options.JpegQuality, 1, 100), optimizeCoding: true, keep: keep,
                    subsampleMode: _options.JpegQuality >= 90 ? Enums.ForeignSubsample.Off : Enums.ForeignSubsample.Auto);
                break;
            case ImageFormat.Tiff:
                image.TiffsaveTarget(target, keep: keep, compression: _options.TiffCompression switch
                {
                    TiffCompression.Lzw => Enums.ForeignTiffCompression.Lzw,
                    TiffCompression.None => Enums.ForeignTiffCompression.None,
                    _ => Enums.ForeignTiffCompression.Deflate,
                }, predictor: _options.TiffCompression == TiffCompression.None ? null : Enums.ForeignTiffPredictor.Horizontal);
                break;
            case ImageFormat.Webp when _options.WebpLossless:
                image.WebpsaveTarget(target, lossless: true, exact: true, keep: keep);
                break;
            case ImageFormat.Webp:
                image.WebpsaveTarget(target, q: Math.Clamp(_options.WebpQuality, 1, 100), smartSubsample: true, keep: keep);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, null);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the original error is the one worth reporting.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
