using Microsoft.Win32.SafeHandles;
using NetVips;

namespace ResShift.Pipeline.Imaging;

/// <summary>
/// One encoded input as a libvips source, with the loader its content calls for, already checked against the
/// whitelist (and, for PNG, the APNG frame count) before any pixel is decoded. A file is read through its open
/// descriptor (libvips duplicates it and reads as it decodes; a WebP is mapped, not copied), a buffer through a
/// copy libvips owns: nothing is ever given to libvips by name, so no path or "[options]" suffix is parsed.
/// </summary>
internal sealed class VipsInput : IDisposable
{
    private readonly Source _source;

    private VipsInput(Source source, string name, string loader, ImageFormat format)
    {
        _source = source;
        Name = name;
        Loader = loader;
        Format = format;
    }

    /// <summary>The input's name for messages.</summary>
    public string Name { get; }

    /// <summary>libvips' loader nickname, e.g. "pngload_source".</summary>
    public string Loader { get; }

    public ImageFormat Format { get; }

    /// <summary>A source over <paramref name="file"/> from its start; the handle stays the caller's.</summary>
    public static VipsInput FromFile(SafeFileHandle file, string name)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(name);
        if (RandomAccess.GetLength(file) == 0)
            throw new ImageDecodeException(name, ImageDecodeFailure.Empty, "input is empty (0 bytes)");
        Libvips.EnsureInitialised();
        Source source;
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            // libvips duplicates the descriptor and seeks it to the start before every header read.
            source = Source.NewFromDescriptor((int)file.DangerousGetHandle());
        }
        catch (VipsException e)
        {
            throw new ImageDecodeException(name, ImageDecodeFailure.Unreadable, $"cannot read the input ({Describe(e)})", e);
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
        return Checked(source, name, () =>
        {
            // A view of the handle that does not own it; FileStream reads by offset (pread), from 0.
            using var view = new FileStream(new SafeFileHandle(file.DangerousGetHandle(), ownsHandle: false), FileAccess.Read, 4096);
            view.Position = 0;
            return AnimatedPng.Frames(view);
        });
    }

    /// <summary>A source over a copy of <paramref name="encoded"/> (libvips owns the copy, so nothing stays pinned).</summary>
    public static VipsInput FromBuffer(ReadOnlySpan<byte> encoded, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (encoded.IsEmpty)
            throw new ImageDecodeException(name, ImageDecodeFailure.Empty, "input is empty (0 bytes)");
        Libvips.EnsureInitialised();
        uint frames = AnimatedPng.Frames(encoded);
        return Checked(Source.NewFromMemory(encoded), name, () => frames);
    }

    /// <summary>Loads the header (pixels come later, as they are read) with the loader found for the content.</summary>
    public Image Load(Enums.Access access, Enums.FailOn failOn) =>
        (Image)Operation.Call(Loader, new VOption { { "access", access }, { "fail_on", failOn } }, _source);

    public void Dispose() => _source.Dispose();

    /// <summary>libvips' message on one line.</summary>
    public static string Describe(Exception e) => e.Message.Trim().ReplaceLineEndings("; ");

    private static VipsInput Checked(Source source, string name, Func<uint> apngFrames)
    {
        try
        {
            string loader = LoaderOf(source, name);
            ImageFormat format = ImageFormats.FromLoader(loader)!.Value;
            if (format == ImageFormat.Png)
                ImageDecoder.CheckFrames(name, apngFrames(), "an animated PNG");
            return new VipsInput(source, name, loader, format);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>The loader libvips' sniffing picks (from the content, never the name), refused unless whitelisted.</summary>
    private static string LoaderOf(Source source, string name)
    {
        string? typeName = Image.FindLoadSource(source);
        if (typeName is null)
        {
            // Take libvips' own reason (and clear its error buffer, so it does not trail a later message).
            string why = Describe(new VipsException("no loader"));
            throw new ImageDecodeException(name, ImageDecodeFailure.UnknownFormat, $"not a recognised image format ({why})");
        }
        string loader = NetVips.NetVips.NicknameFind(NetVips.NetVips.TypeFromName(typeName)) ?? typeName;
        if (ImageFormats.FromLoader(loader) is null)
            throw new ImageDecodeException(name, ImageDecodeFailure.UnsupportedFormat,
                $"unsupported image format (libvips loader '{loader}'); PNG, JPEG, TIFF and WebP are accepted");
        return loader;
    }
}
