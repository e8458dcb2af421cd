using ResShift.Pipeline.Files;
using ResShift.Pipeline.Imaging;

namespace ResShift.Daemon.Inputs.RabbitMq.Messages;

/// <summary>A message path placed inside one configured root: that root's handle and the path relative to it.</summary>
public sealed record RootedPath(RootDirectory Root, string Relative)
{
    public string Full => Path.Combine(Root.Path, Relative);
}

/// <summary>
/// Turns a message's paths into paths inside the configured roots, or refuses them with a reason. A path is
/// absolute or relative to the first root and must stay inside a root after normalisation (`..`). Links are not
/// resolved here but refused where the path is used: every open, write and rename goes through the root's
/// handle with no link followed on the way (<see cref="RootDirectory"/>), so a folder swapped for a link after
/// the message was accepted cannot lead out either.
/// </summary>
public sealed class PathGuard : IDisposable
{
    private readonly (string Path, RootDirectory Dir)[] _roots;
    private readonly Dictionary<RootDirectory, RootDirectory> _spools = new(ReferenceEqualityComparer.Instance); // under its own lock

    public PathGuard(IEnumerable<string> roots)
    {
        _roots = roots.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r))).Distinct(StringComparer.Ordinal)
            .Select(r => (r, RootDirectory.Open(r).UseTemporaryArea(Folders.ClaimOwners.ProcessId))).ToArray(); // a killed daemon's temporaries are found and removed
    }

    /// <summary>An existing regular file inside a root (checked again, on the handle, when it is opened).</summary>
    public RootedPath Input(string path)
    {
        RootedPath input = Inside("input", path);
        FileEntry? entry = Stat("input", path, input);
        if (entry is null) throw new JobRejectedException("input", $"input '{path}' does not exist");
        RequireRegularFile("input", path, entry.Value);
        return input;
    }

    /// <summary>An inpainting mask: a file inside a root, under the same rules as the input; never the input itself.</summary>
    public RootedPath Mask(string path, RootedPath input)
    {
        RootedPath mask = Inside("mask", path);
        FileEntry? entry = Stat("mask", path, mask);
        if (entry is null) throw new JobRejectedException("input", $"mask '{path}' for input '{input.Full}' does not exist");
        RequireRegularFile("mask", path, entry.Value);
        if (mask.Full == input.Full) throw Path_("mask", "mask is the input file itself");
        return mask;
    }

    private static void RequireRegularFile(string role, string path, FileEntry entry)
    {
        if (entry.Kind == FileKind.Directory) throw Path_(role, $"'{path}' is a directory, not a file");
        if (entry.Kind == FileKind.Symlink) throw Path_(role, $"'{path}' is a symlink; symbolic links are not followed");
        if (entry.Kind == FileKind.Special) throw Path_(role, $"'{path}' is not a regular file (a FIFO, socket or device)");
    }

    /// <summary>An image path inside a root (it need not exist; the extension rules out sidecar names); never the input itself.</summary>
    public RootedPath Output(string path, RootedPath input)
    {
        RootedPath output = Inside("output", path);
        FileEntry? entry = Stat("output", path, output);
        if (entry?.Kind == FileKind.Directory) throw Path_("output", $"'{path}' is a directory");
        if (entry?.Kind is FileKind.Symlink or FileKind.Special) throw Path_("output", $"'{path}' is a symlink or special file; it is not replaced");
        if (ImageFormats.FromPath(path) is null && !path.EndsWith(".mkv", StringComparison.OrdinalIgnoreCase))
            throw Path_("output", $"'{path}' has no known image extension (png, jpg, tif, webp) and is not a video output (mkv)");
        if (output.Full == input.Full) throw Path_("output", "output is the input file itself");
        return output;
    }

    /// <summary>
    /// The spool folder of a queue video writing <paramref name="outputPath"/>: <see cref="QueueSpoolName.For"/>
    /// in its root's <c>.resshift-video/</c>, named through the descriptor this guard holds (<c>/proc/PID/fd/N/NAME</c>).
    /// The spool folder is opened through the root's handle (created when missing, no link followed) on first use and
    /// held until the guard is disposed, so the path never walks through the output's folders and a folder swapped for
    /// a link later redirects nothing. It does not depend on the output's folders existing (or being sound) now.
    /// </summary>
    public string Spool(string outputPath)
    {
        RootedPath output = Inside("output", outputPath);
        RootDirectory folder;
        lock (_spools)
        {
            if (!_spools.TryGetValue(output.Root, out folder!))
            {
                try
                {
                    folder = output.Root.OpenDirectory(Video.VideoJobRunner.SpoolFolder);
                }
                catch (UnsafePathException e)
                {
                    throw Path_("output", $"the root's video spool {Video.VideoJobRunner.SpoolFolder}: {e.Message[(e.RelativePath.Length + 2)..]}");
                }
                _spools[output.Root] = folder;
            }
        }
        return Path.Combine(folder.DescriptorPath, QueueSpoolName.For(output.Relative));
    }

    public void Dispose()
    {
        lock (_spools)
        {
            foreach (RootDirectory spool in _spools.Values) spool.Dispose();
            _spools.Clear();
        }
        foreach (var (_, dir) in _roots) dir.Dispose();
    }

    private RootedPath Inside(string role, string path)
    {
        if (path.Contains('\0')) throw Path_(role, "path contains a NUL character");
        string full = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(_roots[0].Path, path));
        foreach (var (root, dir) in _roots)
            if (Within(full, root)) return new RootedPath(dir, root == "/" ? full[1..] : full[(root.Length + 1)..]);
        throw Path_(role, $"'{path}' resolves to {full}, outside the configured roots ({string.Join(", ", _roots.Select(r => r.Path))})");
    }

    private static FileEntry? Stat(string role, string path, RootedPath p)
    {
        try
        {
            return p.Root.Stat(p.Relative);
        }
        catch (UnsafePathException e) when (e.Reason == UnsafePathReason.NotDirectory)
        {
            return null; // a file where a folder should be: the write fails then, and is retried (an operator can clear it)
        }
        catch (UnsafePathException e)
        {
            throw Path_(role, $"'{path}': {e.Message[(e.RelativePath.Length + 2)..]}");
        }
    }

    private static bool Within(string path, string root) =>
        root == "/" ? path.Length > 1 : path.StartsWith(root + "/", StringComparison.Ordinal) && path.Length > root.Length + 1;

    private static JobRejectedException Path_(string role, string reason) => new("path", $"{role}: {reason}");
}
