using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// The five folders of a watch root (product.md): inbox → processing (claimed by atomic rename) →
/// done (originals after success) or failed (originals + reason); results in outbox. Every move is a
/// rename inside one file system, so a file is always in exactly one of them.
/// </summary>
public sealed class WatchLayout
{
    public string Root { get; }
    public string Inbox { get; }
    public string Processing { get; }
    public string Done { get; }
    public string Failed { get; }
    public string Outbox { get; }

    /// <summary>Originals whose output is below the root's fidelity threshold, with that output and a .fidelity.json.</summary>
    public string Review { get; }

    public WatchLayout(string root)
    {
        Root = Path.GetFullPath(root);
        Inbox = Path.Combine(Root, "inbox");
        Processing = Path.Combine(Root, "processing");
        Done = Path.Combine(Root, "done");
        Failed = Path.Combine(Root, "failed");
        Outbox = Path.Combine(Root, "outbox");
        Review = Path.Combine(Root, "review");
    }

    public void EnsureCreated()
    {
        foreach (string d in new[] { Inbox, Processing, Done, Failed, Outbox, Review }) Directory.CreateDirectory(d);
    }

    /// <summary>Moves <paramref name="relative"/> from one folder to another, creating parents; false if the source is gone.</summary>
    public static bool Move(string fromFolder, string toFolder, string relative, bool overwrite)
    {
        string from = Path.Combine(fromFolder, relative);
        string to = Path.Combine(toFolder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        try
        {
            if (Directory.Exists(from) && !IsLink(from))
            {
                if (Directory.Exists(to)) Directory.Delete(to, recursive: true);
                Directory.Move(from, to);
            }
            else
            {
                File.Move(from, to, overwrite);
            }
            AtomicFile.SyncDirectory(Path.GetDirectoryName(to)!);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
    }

    public static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    /// <summary>True when <paramref name="path"/>, with every link resolved, lies inside <paramref name="root"/>.</summary>
    public static bool ResolvesInside(string path, string root)
    {
        try
        {
            FileSystemInfo? target = File.ResolveLinkTarget(path, returnFinalTarget: true);
            string resolved = target?.FullName ?? Path.GetFullPath(path);
            string realRoot = Path.GetFullPath(root);
            return resolved.StartsWith(realRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Removes temporaries left by a crash mid-write (outputs are renamed into place, so these are never results).</summary>
    public int RemoveStaleTemporaries()
    {
        int removed = 0;
        foreach (string folder in new[] { Outbox, Failed, Done, Review })
            foreach (string f in Directory.EnumerateFiles(folder, "*" + AtomicFile.TempSuffix, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                File.Delete(f);
                removed++;
            }
        return removed;
    }
}
