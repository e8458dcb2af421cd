using ResShift.Pipeline.Files;

namespace ResShift.Daemon.Cli;

/// <summary>
/// The folders of <c>resshift restore</c>'s inputs and outputs held open as roots (one handle per folder), so image jobs
/// read and write through the same <see cref="RootedJobFiles"/> as the daemon's. The paths are the user's own: links
/// in them are followed (an input named through a link is read from its target), and output folders are created.
/// An existing output is replaced, as restore always did.
/// </summary>
internal sealed class CliFolders : IDisposable
{
    private readonly Dictionary<string, RootDirectory> _open = new(StringComparer.Ordinal);

    public RootedJobFiles Files(string input, string output, long maxInputBytes)
    {
        string source = new FileInfo(input).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(input);
        string target = Path.GetFullPath(output);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        return new RootedJobFiles(Folder(Path.GetDirectoryName(source)!), Path.GetFileName(source), Folder(Path.GetDirectoryName(target)!), Path.GetFileName(target))
        {
            MaxInputBytes = maxInputBytes,
            ReplaceOutput = true,
        };
    }

    private RootDirectory Folder(string path)
    {
        if (!_open.TryGetValue(path, out RootDirectory? dir)) _open[path] = dir = RootDirectory.Open(path);
        return dir;
    }

    public void Dispose()
    {
        foreach (RootDirectory dir in _open.Values) dir.Dispose();
    }
}
