using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Cli;

/// <summary>
/// Which mask goes with each input of `restore --mask`: one file for one image; a folder holding masks named as
/// the images (the reference's layout) or as NAME.mask.png; without --mask, NAME.mask.png next to each image.
/// A mask that is not there is the job's error (naming both files), not a silent plain restore.
/// </summary>
public sealed class MaskLookup
{
    private readonly string? _file;
    private readonly string? _folder;

    public MaskLookup(string? mask, int inputs)
    {
        if (mask is null) return;
        string full = Path.GetFullPath(mask);
        if (Directory.Exists(full)) _folder = full;
        else if (inputs == 1) _file = full;
        else throw new ArgumentException($"--mask {mask} is not a folder, and {inputs} images need a folder of masks named like them");
    }

    public MaskSource For(InputItem item)
    {
        if (_file is not null) return MaskSource.FromFile(_file);
        if (_folder is null) return MaskSource.FromFile(MaskNaming.MaskFor(item.Path));
        string sameName = Path.Combine(_folder, item.RelativeOutput);
        return MaskSource.FromFile(File.Exists(sameName) ? sameName : MaskNaming.MaskFor(sameName));
    }
}
