using Microsoft.Win32.SafeHandles;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Jobs;

/// <summary>
/// The inpainting mask that goes with one image: where it is opened (a file, a path under an intake's root) and
/// how it joins the image as the LQ's fourth plane. A mask is a black-and-white image of the image's size:
/// white (1) = the area to fill, black (0) = known pixels, kept as they are. It gets an input's treatment: opened
/// as a handle, refused from its first bytes unless it starts like an image, its size read from the header and
/// compared with the image's before any pixel is decoded, then decoded from the handle, never read whole. Anything
/// else is refused with both files named, so a wrong mask never silently changes a picture.
/// </summary>
public sealed class MaskSource(string name, Func<CancellationToken, ValueTask<SafeFileHandle>> open)
{
    /// <summary>The mask's name for messages (a path or a relative path).</summary>
    public string Name { get; } = name;

    public static MaskSource FromFile(string path, string? displayName = null) =>
        new(displayName ?? path, ct =>
        {
            ct.ThrowIfCancellationRequested();
            return ValueTask.FromResult(File.OpenHandle(path));
        });

    /// <summary>A mask opened through an intake's root handle (no symlink followed; regular files within
    /// <paramref name="maxBytes"/> only), as the image is.</summary>
    public static MaskSource FromRoot(RootDirectory root, string relative, string displayName, long maxBytes) =>
        new(displayName, ct =>
        {
            ct.ThrowIfCancellationRequested();
            if (root.Stat(relative) is null) throw new FileNotFoundException($"{displayName} not found");
            return ValueTask.FromResult(root.OpenRead(relative, maxBytes, out _));
        });

    /// <summary>Reads and checks the mask and returns the image with it as a fourth plane in [-1, 1] (1 = unknown).</summary>
    public async ValueTask<LqImage> AttachAsync(LqImage image, string imageName, ImageDecoder decoder, CancellationToken cancellationToken)
    {
        SafeFileHandle file;
        try
        {
            file = await open(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw Refuse(imageName, $"its mask {Name} does not exist", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw Refuse(imageName, $"its mask {Name} cannot be read (permission denied or a directory)", e);
        }
        DecodedImage mask;
        using (file)
        {
            try
            {
                ImageSignature.Require(file, Name);
                (int width, int height) = decoder.ReadSize(file, Name);
                if (width != image.Width || height != image.Height)
                    throw Refuse(imageName, $"its mask {Name} is {width}×{height} but the image is {image.Width}×{image.Height}; they must be the same size");
                mask = decoder.Decode(file, Name, cancellationToken);
            }
            catch (ImageDecodeException e) when (e.Failure != ImageDecodeFailure.Mask)
            {
                throw Refuse(imageName, $"its mask {Name} is not a readable image ({e.Message})", e);
            }
        }
        using (mask)
        {
            int plane = image.Width * image.Height;
            var pixels = new float[checked(4 * plane)];
            image.Pixels.AsSpan(0, 3 * plane).CopyTo(pixels);
            Span<float> m = pixels.AsSpan(3 * plane, plane);
            ReadOnlySpan<float> r = mask.Pixels.Plane(0), g = mask.Pixels.Plane(1), b = mask.Pixels.Plane(2);
            for (int i = 0; i < plane; i++)
            {
                float v = r[i];
                if ((v != 0f && v != 1f) || g[i] != v || b[i] != v)
                    throw Refuse(imageName, $"its mask {Name} is not binary: pixel ({i % image.Width}, {i / image.Width}) is " +
                        $"({r[i]:0.###}, {g[i]:0.###}, {b[i]:0.###}); use pure black (keep) and pure white (fill) only");
                m[i] = 2f * v - 1f;
            }
            return new LqImage(image.Width, image.Height, pixels, channels: 4);
        }
    }

    private static ImageDecodeException Refuse(string imageName, string reason, Exception? inner = null) =>
        new(imageName, ImageDecodeFailure.Mask, reason, inner);
}
