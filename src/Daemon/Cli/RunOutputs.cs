using ResShift.Daemon.Inputs.Folders;

namespace ResShift.Daemon.Cli;

/// <summary>
/// The output names written by one <c>restore</c> run: clip.mp4 and clip.mov can both end up as clip.mkv, and the
/// second must neither share the first's job nor replace its fresh output (it gets clip-2.mkv, the watch roots' rule
/// for a taken name).
/// </summary>
public sealed class RunOutputs
{
    private readonly HashSet<string> _written = [];

    /// <summary>The first of <paramref name="path"/>, path-2, path-3, ... not written yet in this run, now claimed.</summary>
    public string Claim(string path)
    {
        lock (_written)
        {
            for (int n = 1; ; n++)
            {
                string candidate = n == 1 ? path : WatchLayout.Variant(path, n);
                if (_written.Add(candidate)) return candidate;
            }
        }
    }
}
