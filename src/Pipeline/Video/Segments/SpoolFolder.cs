using System.Text;
using ResShift.Pipeline.Files;

namespace ResShift.Pipeline.Video.Segments;

/// <summary>
/// A video job's spool folder inside a daemon-owned folder (a watch root's or an output root's <c>.resshift-video/</c>),
/// held by a handle that was opened with no link followed at any level, and named for ffmpeg and path APIs through
/// that handle (<see cref="Path"/>, <c>/proc/PID/fd/N</c>), so a folder swapped for a link later redirects nothing.
/// The service marks every spool it creates (<see cref="MarkerName"/>, written through the handle); an existing
/// folder without the mark was not made here (planted, or an operator's) and is refused rather than written into.
/// </summary>
public sealed class SpoolFolder : IDisposable
{
    public const string MarkerName = ".resshift-spool";
    private const string Magic = "resshift video spool";
    private const int MarkerLimit = 4096;

    private readonly RootDirectory _parent;
    private readonly bool _ownsParent;

    private SpoolFolder(RootDirectory parent, bool ownsParent, string name, RootDirectory folder)
    {
        _parent = parent;
        _ownsParent = ownsParent;
        Name = name;
        Folder = folder;
    }

    /// <summary>The folder's handle: reads and writes inside it that must not follow a link go through it.</summary>
    public RootDirectory Folder { get; }

    /// <summary>Its name in its parent.</summary>
    public string Name { get; }

    /// <summary>The folder as child processes and path APIs name it: the handle's descriptor.</summary>
    public string Path => Folder.DescriptorPath;

    /// <summary>
    /// Opens the spool <paramref name="name"/> (one component) in <paramref name="parent"/>, creating and marking it when
    /// missing and <paramref name="create"/>; null when it is missing and not to be created.
    /// </summary>
    /// <exception cref="UnsafePathException">The name (or a folder on the way) is a link, not a folder, or a folder without this service's mark.</exception>
    public static Task<SpoolFolder?> OpenAsync(RootDirectory parent, string name, bool create, CancellationToken cancellationToken) =>
        OpenAsync(parent, ownsParent: false, name, create, cancellationToken);

    /// <summary>The same in the folder at <paramref name="parentPath"/> (a descriptor path, or configuration the caller trusts).</summary>
    public static async Task<SpoolFolder?> OpenAsync(string parentPath, string name, bool create, CancellationToken cancellationToken)
    {
        if (create) Directory.CreateDirectory(parentPath);
        else if (!Directory.Exists(parentPath)) return null;
        RootDirectory parent = RootDirectory.Open(parentPath);
        try
        {
            SpoolFolder? spool = await OpenAsync(parent, ownsParent: true, name, create, cancellationToken).ConfigureAwait(false);
            if (spool is null) parent.Dispose();
            return spool;
        }
        catch
        {
            parent.Dispose();
            throw;
        }
    }

    /// <summary>An existing spool only (nothing is created or written): null when it is missing.</summary>
    /// <exception cref="UnsafePathException">As <see cref="OpenAsync(RootDirectory, string, bool, CancellationToken)"/>.</exception>
    public static SpoolFolder? OpenExisting(string parentPath, string name)
    {
        if (!Directory.Exists(parentPath)) return null;
        RootDirectory parent = RootDirectory.Open(parentPath);
        try
        {
            SpoolFolder? spool = Open(parent, ownsParent: true, name, create: false, out _);
            if (spool is null) parent.Dispose();
            else spool.RequireMark();
            return spool;
        }
        catch
        {
            parent.Dispose();
            throw;
        }
    }

    private static async Task<SpoolFolder?> OpenAsync(RootDirectory parent, bool ownsParent, string name, bool create, CancellationToken cancellationToken)
    {
        SpoolFolder? spool = Open(parent, ownsParent, name, create, out bool created);
        if (spool is null) return null;
        try
        {
            if (created)
            {
                try
                {
                    await spool.Folder.WriteAtomicAsync(MarkerName, (s, ct) => s.WriteAsync(Encoding.UTF8.GetBytes($"{Magic}\n{Environment.MachineName}:{Environment.ProcessId} {DateTime.UtcNow:O}\n"), ct).AsTask(),
                        replace: false, cancellationToken).ConfigureAwait(false);
                }
                catch (FileExistsException)
                {
                    // Another process of this service created the same spool at the same moment: its mark is checked below.
                }
            }
            spool.RequireMark();
            return spool;
        }
        catch
        {
            spool.Folder.Dispose(); // the parent is the caller's to dispose on failure
            throw;
        }
    }

    private static SpoolFolder? Open(RootDirectory parent, bool ownsParent, string name, bool create, out bool created)
    {
        if (name.Contains('/') || name is "" or "." or "..") throw new ArgumentException($"'{name}' is not one folder name", nameof(name));
        FileEntry? entry = parent.Stat(name);
        created = entry is null;
        if (entry is null && !create) return null;
        if (entry is { Kind: not FileKind.Directory } e)
            throw new UnsafePathException(name, UnsafePathReason.Symlink, $"the video spool is {Describe(e.Kind)}, not a folder this service made: it is not used (remove it)");
        RootDirectory folder = parent.OpenDirectory(name, create: true); // refuses a link that took the name meanwhile
        return new SpoolFolder(parent, ownsParent, name, folder);
    }

    private void RequireMark()
    {
        if (!Marked(Folder))
            throw new UnsafePathException(Name, UnsafePathReason.Symlink,
                $"the video spool {System.IO.Path.Combine(_parent.Path, Name)} exists but was not made by this service (no {MarkerName} mark): it is not used (remove it)");
    }

    private static bool Marked(RootDirectory folder)
    {
        try
        {
            return Encoding.UTF8.GetString(folder.ReadAllBytes(MarkerName, MarkerLimit)).StartsWith(Magic + "\n", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // missing, a link, a FIFO, too large
        }
    }

    private static string Describe(FileKind kind) => kind switch
    {
        FileKind.Symlink => "a symbolic link",
        FileKind.Regular => "a file",
        _ => "a special file",
    };

    /// <summary>Removes the spool and everything in it, through its handles (no link followed; a link inside is removed itself).</summary>
    public void Delete()
    {
        try
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(Path))
            {
                string name = System.IO.Path.GetFileName(entry);
                if (Folder.Stat(name) is { Kind: FileKind.Directory }) Directory.Delete(entry, recursive: true); // a real folder: .NET removes links inside it, never their targets
                else Folder.Delete(name);
            }
            _parent.DeleteEmptyDirectory(Name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Removes the spool when nothing but its mark is in it (a job refused before it planned or committed anything).</summary>
    public void DeleteIfUnused()
    {
        try
        {
            if (Directory.EnumerateFileSystemEntries(Path).All(e => System.IO.Path.GetFileName(e) == MarkerName)) Delete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    public void Dispose()
    {
        Folder.Dispose();
        if (_ownsParent) _parent.Dispose();
    }
}
