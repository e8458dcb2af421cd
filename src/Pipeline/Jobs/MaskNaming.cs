namespace ResShift.Pipeline.Jobs;

/// <summary>
/// How an inpainting mask travels next to its image: <c>photo.png</c> → <c>photo.mask.png</c> in the same folder
/// (always PNG: lossless, so black and white stay exactly 0 and 1). A file named like a mask is never a job itself.
/// </summary>
public static class MaskNaming
{
    public const string Suffix = ".mask.png";

    public static bool IsMask(string fileName) => fileName.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase);

    /// <summary>The mask's file name for an image's file name (or path: the folder is kept).</summary>
    public static string MaskFor(string imagePath)
    {
        string dir = Path.GetDirectoryName(imagePath) ?? "";
        string name = Path.GetFileNameWithoutExtension(imagePath) + Suffix;
        return dir.Length == 0 ? name : Path.Combine(dir, name);
    }
}
