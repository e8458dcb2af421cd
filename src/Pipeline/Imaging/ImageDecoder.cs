using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using ResShift.Pipeline.Imaging.Native;

namespace ResShift.Pipeline.Imaging;

/// <summary>
/// Decodes PNG, JPEG, TIFF and WebP (8/16-bit; gray, gray+alpha, RGB, RGBA) through libvips into planar
/// float32 RGB [0, 1] with the EXIF orientation applied. libvips opens lazily: the header is read and checked
/// against the size limits before a single pixel is decoded. Every failure is an <see cref="ImageDecodeException"/>.
/// Thread-safe: instances hold only options.
/// </summary>
public sealed class ImageDecoder
{
    private const string OrientationField = "orientation";
    private const string IccField = "icc-profile-data";
    private const string ExifField = "exif-data";
    private const string PagesField = "n-pages";

    private readonly ImageDecoderOptions _options;

    public ImageDecoder(ImageDecoderOptions? options = null) => _options = options ?? new ImageDecoderOptions();

    public unsafe DecodedImage Decode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        CheckFile(path);
        VipsRuntime.EnsureInitialised();
        string loader = LoaderOf(path, NativeMethods.vips_foreign_find_load(path));
        if (ImageFormats.FromLoader(loader) == ImageFormat.Png)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096);
            CheckFrames(path, AnimatedPng.Frames(file), "an animated PNG");
        }
        return Decode(path, loader, () => VipsOperation.Create(loader).Set("filename", path));
    }

    /// <summary>
    /// Decodes an encoded file held in memory; <paramref name="sourceName"/> is used in messages.
    /// <paramref name="cancellationToken"/> is checked between strips of pixels.
    /// </summary>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded, string sourceName = "<buffer>", CancellationToken cancellationToken = default)
    {
        (string loader, Func<VipsOperation> newLoad) = BufferLoader(encoded, sourceName);
        return Decode(sourceName, loader, newLoad, cancellationToken);
    }

    /// <summary>
    /// The size an encoded image decodes to (EXIF orientation applied), read from its header alone: no pixel
    /// is decoded, so a caller can budget memory first. The size limits are checked here too.
    /// </summary>
    public (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded, string sourceName = "<buffer>")
    {
        (_, Func<VipsOperation> newLoad) = BufferLoader(encoded, sourceName);
        return ReadSize(sourceName, newLoad);
    }

    /// <summary>
    /// Decodes an image straight from an open regular file (through a libvips source over its descriptor): the
    /// encoded file is read as the decoder needs it, never held whole in memory. The handle stays the caller's.
    /// </summary>
    public DecodedImage Decode(SafeFileHandle file, string sourceName, CancellationToken cancellationToken = default)
    {
        (string loader, Func<VipsOperation> newLoad) = SourceLoader(file, sourceName);
        return Decode(sourceName, loader, newLoad, cancellationToken);
    }

    /// <summary>As <see cref="ReadSize(ReadOnlySpan{byte}, string)"/>, from an open regular file.</summary>
    public (int Width, int Height) ReadSize(SafeFileHandle file, string sourceName)
    {
        (_, Func<VipsOperation> newLoad) = SourceLoader(file, sourceName);
        return ReadSize(sourceName, newLoad);
    }

    private (int Width, int Height) ReadSize(string sourceName, Func<VipsOperation> newLoad)
    {
        try
        {
            using VipsImage image = Open(sourceName, newLoad, sequential: true);
            CheckSize(sourceName, image.Width, image.Height);
            bool transposed = image.GetInt(OrientationField) is >= 5 and <= 8;
            return transposed ? (image.Height, image.Width) : (image.Width, image.Height);
        }
        catch (VipsException e)
        {
            throw new ImageDecodeException(sourceName, ImageDecodeFailure.Corrupt, e.Message, e);
        }
    }

    /// <summary>The loader for an open file, found from its content, and a fresh source-load operation per call.</summary>
    private static unsafe (string Loader, Func<VipsOperation> NewLoad) SourceLoader(SafeFileHandle file, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (RandomAccess.GetLength(file) == 0)
            throw new ImageDecodeException(sourceName, ImageDecodeFailure.Empty, "input is empty (0 bytes)");
        VipsRuntime.EnsureInitialised();
        string loader;
        using (VipsObjectHandle sniff = NewSource(file, sourceName))
            loader = LoaderOf(sourceName, NativeMethods.vips_foreign_find_load_source(sniff));
        if (ImageFormats.FromLoader(loader) == ImageFormat.Png)
        {
            // A view of the handle that does not own it; FileStream reads it with pread, leaving the offset alone.
            using var view = new FileStream(new SafeFileHandle(file.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 4096);
            view.Position = 0; // it starts where the descriptor's shared offset is (the sniffing moved it)
            CheckFrames(sourceName, AnimatedPng.Frames(view), "an animated PNG");
        }
        return (loader, () =>
        {
            using VipsObjectHandle source = NewSource(file, sourceName);
            return VipsOperation.Create(loader).SetSource("source", source);
        });
    }

    /// <summary>A libvips source reading <paramref name="file"/> from its start (over a duplicate of its descriptor).</summary>
    private static VipsObjectHandle NewSource(SafeFileHandle file, string sourceName)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            if (NativeMethods.lseek(fd, 0, 0) < 0)
                throw new ImageDecodeException(sourceName, ImageDecodeFailure.Unreadable, "cannot seek the input; only regular files are read");
            VipsObjectHandle source = NativeMethods.vips_source_new_from_descriptor(fd);
            if (source.IsInvalid)
            {
                source.Dispose();
                throw new ImageDecodeException(sourceName, ImageDecodeFailure.Unreadable, $"cannot read the input ({VipsRuntime.TakeError()})");
            }
            return source;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    private static unsafe (string Loader, Func<VipsOperation> NewLoad) BufferLoader(ReadOnlySpan<byte> encoded, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (encoded.IsEmpty)
            throw new ImageDecodeException(sourceName, ImageDecodeFailure.Empty, "input is empty (0 bytes)");
        VipsRuntime.EnsureInitialised();
        string loader;
        fixed (byte* p = encoded)
            loader = LoaderOf(sourceName, NativeMethods.vips_foreign_find_load_buffer(p, (nuint)encoded.Length));
        if (ImageFormats.FromLoader(loader) == ImageFormat.Png) CheckFrames(sourceName, AnimatedPng.Frames(encoded), "an animated PNG");
        // The loader takes its own copy (a VipsBlob), so nothing stays pinned while libvips decodes lazily.
        byte[] copy = encoded.ToArray();
        return (loader, () => VipsOperation.Create(loader).Set("buffer", copy));
    }

    private DecodedImage Decode(string name, string loader, Func<VipsOperation> newLoad, CancellationToken cancellationToken = default)
    {
        ImageFormat format = ImageFormats.FromLoader(loader)!.Value;
        VipsImage? image = null;
        try
        {
            image = Open(name, newLoad, sequential: true);
            CheckSize(name, image.Width, image.Height);
            if (image.GetInt(PagesField) is > 1 and int pages)
                CheckFrames(name, (uint)pages, format == ImageFormat.Tiff ? "a multi-page TIFF" : $"an animated {format.ToString().ToUpperInvariant()}");
            if (image.GetInt(OrientationField) is >= 2 and <= 8)
            {
                // Rotating reads the source out of order, which a sequential load cannot serve: reopen.
                image.Dispose();
                image = null;
                using VipsImage stored = Open(name, newLoad, sequential: false);
                image = stored.Apply("autorot");
            }
            (ChannelLayout layout, int depth) = Classify(name, image);
            byte[]? icc = image.GetBlob(IccField);
            byte[]? exif = image.GetBlob(ExifField);
            if (exif is not null)
                exif = ExifOrientation.ResetToTopLeft(exif);
            PlanarImage pixels = ReadPixels(name, image, layout, depth, cancellationToken);
            return new DecodedImage(pixels, new ImageMetadata(layout, depth, format, icc, exif));
        }
        catch (VipsException e)
        {
            throw new ImageDecodeException(name, ImageDecodeFailure.Corrupt, e.Message, e);
        }
        finally
        {
            image?.Dispose();
        }
    }

    private VipsImage Open(string name, Func<VipsOperation> newLoad, bool sequential)
    {
        using VipsOperation load = newLoad();
        try
        {
            load.SetOptions($"access={(sequential ? "sequential" : "random")},fail_on={FailOn(_options.Strictness)}").Build();
        }
        catch (VipsException e)
        {
            throw new ImageDecodeException(name, ImageDecodeFailure.Corrupt, $"cannot read the image header ({e.Message})", e);
        }
        return new VipsImage(load.GetImage("out"));
    }

    private PlanarImage ReadPixels(string name, VipsImage image, ChannelLayout layout, int depth, CancellationToken cancellationToken)
    {
        int width = image.Width, height = image.Height, bands = layout.Bands();
        int rowBytes = width * bands * depth / 8;
        int stripRows = Math.Clamp(_options.StripBytes / rowBytes, 1, height);
        PlanarImage pixels = PlanarImage.Allocate(width, height, layout.HasAlpha());
        try
        {
            using VipsRegion region = new(image);
            for (int top = 0; top < height; top += stripRows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int rows = Math.Min(stripRows, height - top);
                using NativeBuffer strip = region.Fetch(top, rows);
                if (strip.Span.Length != rows * rowBytes)
                    throw new VipsException($"libvips returned {strip.Span.Length} bytes for {rows} rows of {rowBytes}");
                SampleConverter.ToPlanar(strip.Span, bands, depth, pixels, top * width);
            }
            return pixels;
        }
        catch (VipsException e)
        {
            pixels.Dispose();
            throw new ImageDecodeException(name, ImageDecodeFailure.Corrupt, $"pixel data is damaged or truncated ({e.Message})", e);
        }
        catch
        {
            pixels.Dispose();
            throw;
        }
    }

    private static void CheckFile(string path)
    {
        if (Directory.Exists(path))
            throw new ImageDecodeException(path, ImageDecodeFailure.IsDirectory, "is a directory, not an image file");
        FileInfo info = new(path);
        if (!info.Exists)
            throw new ImageDecodeException(path, ImageDecodeFailure.NotFound, "file not found");
        if (info.Length == 0)
            throw new ImageDecodeException(path, ImageDecodeFailure.Empty, "file is empty (0 bytes)");
        try
        {
            // libvips would only say it cannot open the file; find out why here.
            using var probe = File.OpenHandle(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, ImageDecodeFailure.Unreadable, $"cannot open the file ({e.Message})", e);
        }
    }

    /// <summary>
    /// Refuses several pages or frames: the loader would hand back the first alone and the rest would be lost
    /// without a word (restoring each would need a multi-page writer for every output format).
    /// </summary>
    private static void CheckFrames(string name, uint frames, string what)
    {
        if (frames > 1)
            throw new ImageDecodeException(name, ImageDecodeFailure.MultiFrame,
                $"{what} with {frames} pages/frames; only single images are restored (split it into one file per page or frame)");
    }

    private void CheckSize(string name, int width, int height)
    {
        long pixels = (long)width * height;
        if (width > _options.MaxSide || height > _options.MaxSide)
            throw new ImageDecodeException(name, ImageDecodeFailure.TooLarge,
                $"image is {width}×{height}; the largest accepted side is {_options.MaxSide} pixels");
        if (pixels > _options.MaxPixels)
            throw new ImageDecodeException(name, ImageDecodeFailure.TooLarge,
                $"image is {width}×{height} = {pixels} pixels; the limit is {_options.MaxPixels} pixels");
    }

    /// <summary>Maps the header's band count, sample format and interpretation to what the pipeline accepts.</summary>
    private static (ChannelLayout Layout, int Depth) Classify(string name, VipsImage image)
    {
        VipsBandFormat format = image.Format;
        int bands = image.Bands;
        VipsInterpretation interpretation = image.Interpretation;
        int depth = format switch
        {
            VipsBandFormat.UChar => 8,
            VipsBandFormat.UShort => 16,
            _ => 0,
        };
        bool colourOk = bands <= 2
            ? interpretation is VipsInterpretation.BW or VipsInterpretation.Grey16 or VipsInterpretation.Multiband
            : interpretation is VipsInterpretation.Srgb or VipsInterpretation.Rgb or VipsInterpretation.Rgb16 or VipsInterpretation.Multiband;
        if (depth == 0 || bands is < 1 or > 4 || !colourOk)
            throw new ImageDecodeException(name, ImageDecodeFailure.UnsupportedPixels,
                $"unsupported pixel layout: {bands} band(s) of {format} samples, interpretation {interpretation}; "
                + "8/16-bit gray, gray+alpha, RGB or RGBA are accepted");
        return (ChannelLayoutExtensions.FromBands(bands), depth);
    }

    /// <summary>Maps libvips' loader type name (from content sniffing, not the extension) to one of our loaders.</summary>
    private static unsafe string LoaderOf(string name, byte* typeName)
    {
        if (typeName == null)
            throw new ImageDecodeException(name, ImageDecodeFailure.UnknownFormat,
                $"not a recognised image format ({VipsRuntime.TakeError()})");
        string className = Marshal.PtrToStringUTF8((nint)typeName)!;
        byte* nick = NativeMethods.vips_nickname_find(NativeMethods.g_type_from_name(className));
        string loader = nick == null ? className : Marshal.PtrToStringUTF8((nint)nick)!;
        if (ImageFormats.FromLoader(loader) is null)
            throw new ImageDecodeException(name, ImageDecodeFailure.UnsupportedFormat, loader.StartsWith("magickload", StringComparison.Ordinal)
                // ImageMagick's sniffing claims almost anything, including PNG/JPEG/TIFF whose own reader
                // rejected a damaged header (a truncated TIFF whose IFD was at the end, say).
                ? "unsupported or damaged image: no PNG, JPEG, TIFF or WebP reader accepts it"
                : $"unsupported image format (libvips loader '{loader}'); PNG, JPEG, TIFF and WebP are accepted");
        return loader;
    }

    private static string FailOn(DecodeStrictness strictness) => strictness switch
    {
        DecodeStrictness.Truncated => "truncated",
        DecodeStrictness.Warning => "warning",
        _ => "error",
    };
}
