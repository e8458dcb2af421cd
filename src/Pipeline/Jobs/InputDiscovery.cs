using ResShift.Pipeline.Imaging;
using ResShift.Pipeline.Video;

namespace ResShift.Pipeline.Jobs;

/// <summary>One input file and the path of its output relative to the output root.</summary>
public sealed record InputItem(string Path, string RelativeOutput);

/// <summary>
/// Expands the command line's files and folders. Folders are walked recursively (relative paths kept),
/// taking image and video extensions only and skipping dotfiles and temporary names; files named explicitly are
/// always taken, so a wrong one gets a clear decode error instead of being silently ignored.
/// </summary>
public static class InputDiscovery
{
    public static IReadOnlyList<InputItem> Expand(IEnumerable<string> inputs)
    {
        var items = new List<InputItem>();
        foreach (string input in inputs)
        {
            string full = Path.GetFullPath(input);
            if (Directory.Exists(full))
            {
                foreach (string file in Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
                             .Order(StringComparer.Ordinal))
                {
                    if (IsCandidate(file)) items.Add(new InputItem(file, Path.GetRelativePath(full, file)));
                }
            }
            else
            {
                items.Add(new InputItem(full, Path.GetFileName(full)));
            }
        }
        return items;
    }

    /// <summary>An image or video to restore: not a temporary name and not an inpainting mask (<see cref="MaskNaming"/>).</summary>
    public static bool IsCandidate(string path) =>
        !IsTemporaryName(Path.GetFileName(path)) && !MaskNaming.IsMask(Path.GetFileName(path))
        && (ImageFormats.FromPath(path) is not null || VideoFiles.HasVideoExtension(path));

    /// <summary>Names that are still being written or are hidden: dotfiles (our own temporaries too), .part, .tmp, .crdownload.</summary>
    public static bool IsTemporaryName(string name) =>
        name.StartsWith('.') || name.EndsWith(".part", StringComparison.OrdinalIgnoreCase)
        || name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".crdownload", StringComparison.OrdinalIgnoreCase);
}
