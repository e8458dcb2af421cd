using System.Buffers;
using ResShift.Pipeline.Imaging.Native;

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
        Save(pixels, metadata, target, path, save =>
        {
            try
            {
                using FileStream file = new(path, FileMode.Create, FileAccess.Write, FileShare.None);
                save.CopyBlob("buffer", file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                TryDelete(path);
                throw new ImageEncodeException(path, $"cannot write the file ({e.Message})", e);
            }
        });
    }

    public void Encode(PlanarImage pixels, ImageMetadata metadata, Stream destination, ImageFormat format)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Save(pixels, metadata, format, "<stream>", save => save.CopyBlob("buffer", destination));
    }

    public byte[] EncodeToArray(PlanarImage pixels, ImageMetadata metadata, ImageFormat format)
    {
        MemoryStream buffer = new();
        Encode(pixels, metadata, buffer, format);
        return buffer.ToArray();
    }

    /// <summary>Quantises, runs the libvips saver into a native buffer and hands the finished operation (its
    /// "buffer" output is the encoded file) to <paramref name="write"/>.</summary>
    private unsafe void Save(PlanarImage pixels, ImageMetadata metadata, ImageFormat format, string destination, Action<VipsOperation> write)
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
        try
        {
            SampleConverter.ToInterleaved(pixels, bands, depth, samples.AsSpan(0, size));
            // libvips reads the pooled buffer in place (no native copy), so the image and the operation that
            // references it must be gone before the buffer is unpinned and returned: all of it stays in here.
            fixed (byte* p = samples)
            {
                using VipsImage image = VipsImage.Wrap(p, size, pixels.Width, pixels.Height, bands,
                    depth == 16 ? VipsBandFormat.UShort : VipsBandFormat.UChar);
                if (_options.KeepMetadata)
                    AttachMetadata(image, metadata, gray);
                using VipsOperation save = VipsOperation.Create(SaverOf(format));
                save.Set("in", image.Handle).SetOptions(SaverOptions(format, depth)).Build();
                write(save);
            }
        }
        catch (VipsException e)
        {
            throw new ImageEncodeException(destination, $"{format} encoding failed ({e.Message})", e);
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

    private static void AttachMetadata(VipsImage image, ImageMetadata metadata, bool gray)
    {
        // A profile must describe the channels written: a gray profile on RGB data (ForceRgb) or the reverse
        // would be wrong, so it is left out rather than attached.
        if (metadata.IccProfile is { Length: > 0 } icc && IccMatches(icc, gray))
            image.SetBlob(IccField, icc);
        // libvips regenerates the block on save and writes Orientation = 1 since the image has no
        // orientation field: the pixels are upright already.
        if (metadata.Exif is { Length: > 0 } exif)
            image.SetBlob(ExifField, exif);
    }

    /// <summary>Checks the ICC header's data colour space (bytes 16–19) against the channels being written.</summary>
    private static bool IccMatches(byte[] icc, bool gray)
    {
        if (icc.Length < 20)
            return false;
        ReadOnlySpan<byte> space = icc.AsSpan(16, 4);
        return gray ? space.SequenceEqual("GRAY"u8) : space.SequenceEqual("RGB "u8);
    }

    private static string SaverOf(ImageFormat format) => format switch
    {
        ImageFormat.Png => "pngsave_buffer",
        ImageFormat.Jpeg => "jpegsave_buffer",
        ImageFormat.Tiff => "tiffsave_buffer",
        ImageFormat.Webp => "webpsave_buffer",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>Saver options in libvips' own option syntax. TIFF takes its sample depth from the band format
    /// (ushort → 16-bit); pngsave in 8.14 writes 8-bit unless told otherwise, even for ushort input.</summary>
    private string SaverOptions(ImageFormat format, int depth) => format switch
    {
        ImageFormat.Png => $"compression={Math.Clamp(_options.PngCompression, 0, 9)},bitdepth={depth},strip=false",
        ImageFormat.Jpeg => $"Q={Math.Clamp(_options.JpegQuality, 1, 100)},optimize_coding=true,strip=false,"
            + $"subsample_mode={(_options.JpegQuality >= 90 ? "off" : "auto")}",
        ImageFormat.Tiff => _options.TiffCompression switch
        {
            TiffCompression.Lzw => "compression=lzw,predictor=horizontal,strip=false",
            TiffCompression.None => "compression=none,strip=false",
            _ => "compression=deflate,predictor=horizontal,strip=false",
        },
        ImageFormat.Webp => _options.WebpLossless
            ? "lossless=true,strip=false"
            : $"Q={Math.Clamp(_options.WebpQuality, 1, 100)},smart_subsample=true,strip=false",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

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
