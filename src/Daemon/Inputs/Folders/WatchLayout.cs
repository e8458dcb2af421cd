using ResShift.Pipeline.Files;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// The folders of a watch root (product.md): inbox → processing (claimed by atomic rename) →
/// done (originals after success), failed (originals + reason) or review (below the fidelity threshold, with
/// the held output and its record); results in outbox. Every move is a
/// rename inside one file system, so a file is always in exactly one of them. Each folder is held open by
/// handle (<see cref="RootDirectory"/>): every path below it is resolved at the moment of use with no link
/// followed, and no move or write replaces a file that is already there.
/// </summary>
public sealed class WatchLayout : IDisposable
{
    private RootDirectory? _root, _inbox, _processing, _done, _failed, _outbox, _review;

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

    /// <summary>The root itself (claim owners and leases live beside the six folders).</summary>
    public RootDirectory RootDir => _root ?? throw NotOpen();
    public RootDirectory InboxDir => _inbox ?? throw NotOpen();
    public RootDirectory ProcessingDir => _processing ?? throw NotOpen();
    public RootDirectory DoneDir => _done ?? throw NotOpen();
    public RootDirectory FailedDir => _failed ?? throw NotOpen();
    public RootDirectory OutboxDir => _outbox ?? throw NotOpen();
    public RootDirectory ReviewDir => _review ?? throw NotOpen();

    /// <summary>Opens the root (which must exist: it is never created) and its six folders, creating those; a link in their place is refused.</summary>
    public void Open()
    {
        if (_review is not null) return;
        try
        {
            // Temporaries of every folder below go to this process's area under the root, where a crash leaves them findable.
            _root = RootDirectory.Open(Root).UseTemporaryArea(ClaimOwners.ProcessId);
            _inbox = _root.OpenDirectory("inbox");
            _processing = _root.OpenDirectory("processing");
            _done = _root.OpenDirectory("done");
            _failed = _root.OpenDirectory("failed");
            _outbox = _root.OpenDirectory("outbox");
            _review = _root.OpenDirectory("review");
        }
        catch
        {
            // All or nothing: a later Open starts afresh.
            Dispose();
            _root = _inbox = _processing = _done = _failed = _outbox = _review = null;
            throw;
        }
    }

    /// <summary>Whether <paramref name="relative"/> is in processing/ (a link on its way counts as there: nothing is done through it).</summary>
    public bool InProcessing(string relative)
    {
        try
        {
            return ProcessingDir.Stat(relative) is not null;
        }
        catch (UnsafePathException)
        {
            return true;
        }
    }

    /// <summary>
    /// Moves <paramref name="relative"/> to <paramref name="to"/> under the same name, or the first free
    /// variant of it (<see cref="Variant"/>) when that is taken; the name it got, or null when the source is gone.
    /// <paramref name="companion"/>: a name that must be free beside it as well (failed/'s <see cref="ErrorFile"/>).
    /// </summary>
    public static string? MoveAside(RootDirectory from, RootDirectory to, string relative, Func<string, string>? companion = null)
    {
        for (int n = 1; ; n++)
        {
            string target = n == 1 ? relative : Variant(relative, n);
            if (companion is not null && to.Stat(companion(target)) is not null) continue;
            switch (from.Move(relative, to, target))
            {
                case MoveResult.Moved: return target;
                case MoveResult.SourceMissing: return null;
            }
            if (n > 10_000) throw new IOException($"{relative}: no free name in {to}");
        }
    }

    /// <summary>"photo.png" → "photo-2.png", ...: <see cref="RelativeNames.Variant"/>.</summary>
    public static string Variant(string relative, int n) => RelativeNames.Variant(relative, n);

    /// <inheritdoc cref="RelativeNames.RemoveEmptyParents"/>
    public static void RemoveEmptyParents(RootDirectory dir, string relative) => RelativeNames.RemoveEmptyParents(dir, relative);

    /// <summary>Longest inbox name taken: the provenance sidecar adds 14 bytes and file systems stop at 255.</summary>
    public const int MaxNameBytes = 255 - 14;

    /// <summary>
    /// The error file beside a failed original: "name.error.json", or for a name too long for that (refused
    /// long names), its first 200 bytes, "~", 8 hex digits of the name's SHA-256, ".error.json".
    /// </summary>
    public static string ErrorFile(string relative)
    {
        const string suffix = ".error.json";
        string name = Path.GetFileName(relative);
        if (System.Text.Encoding.UTF8.GetByteCount(name) + suffix.Length <= 255) return relative + suffix;
        string cut = name;
        while (System.Text.Encoding.UTF8.GetByteCount(cut) > 200) cut = cut[..^1];
        if (char.IsHighSurrogate(cut[^1])) cut = cut[..^1];
        string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..8];
        string dir = Path.GetDirectoryName(relative) ?? "";
        return (dir.Length == 0 ? "" : dir + "/") + $"{cut}~{hash}{suffix}";
    }

    /// <summary>
    /// Removes temporaries left by a crash mid-write (outputs are renamed into place, so these are never results): the
    /// areas of processes that are gone (<see cref="RootDirectory.UseTemporaryArea"/>), and hidden ones beside the
    /// outputs (written by versions before the area, or on another file system mounted inside) once they are older than
    /// <see cref="LegacyTemporaryAge"/>, so a live peer's write in progress is left alone.
    /// </summary>
    public int RemoveStaleTemporaries(DateTime now)
    {
        int removed = RootDir.RemoveDeadTemporaries();
        // Walked through the handles: a link (failed/ keeps refused links as they are) is never entered.
        foreach (RootDirectory dir in new[] { OutboxDir, FailedDir, DoneDir, ReviewDir })
            foreach (HandleTree.Entry f in HandleTree.Walk(dir))
            {
                if (f.Kind != HandleTree.Kind.File || !f.Relative.EndsWith(RootDirectory.TempSuffix, StringComparison.Ordinal)) continue;
                if (dir.Stat(f.Relative) is { } e && now - e.ModifiedUtc >= LegacyTemporaryAge && dir.Delete(f.Relative)) removed++;
            }
        return removed;
    }

    /// <summary>How old a temporary beside an output must be before it counts as left by a crash.</summary>
    public static readonly TimeSpan LegacyTemporaryAge = TimeSpan.FromMinutes(10);

    public void Dispose()
    {
        foreach (RootDirectory? d in new[] { _inbox, _processing, _done, _failed, _outbox, _review, _root }) d?.Dispose();
    }

    private static InvalidOperationException NotOpen() => new("the watch layout is not open");
}
