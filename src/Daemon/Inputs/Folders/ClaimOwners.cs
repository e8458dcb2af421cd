using System.Text;
using ResShift.Pipeline.Files;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Who owns each claim in processing/, so daemons sharing a watch root never redo a live peer's work. Each daemon
/// has an id (<see cref="OwnerId"/>) and a lease, <c>.owners/ID.lease</c> under the root (<see cref="LeaseFile"/>,
/// refreshed every third of the lease); each claim has a marker, <c>.claims/REL.owner</c> holding its owner's id,
/// written (never over another) before the file moves into processing/ and removed once it has left. Both live
/// beside the six folders, never in inbox/ or processing/, so no marker is ever taken as a job.
/// A claim may be resumed only when its owner's lease is not live (expired, missing, or not believed) or it has no
/// marker; taking one over renames its marker away first, so of several peers one wins.
/// These files are the daemon's own but anyone who can write the root can plant them: they are read through the
/// folders' handles (regular files only, at most 4 KiB, no link followed, a FIFO never opened for blocking reads),
/// walked without following links (<see cref="HandleTree"/>), and what is not believed is reported (<see cref="IgnoredState"/>).
/// </summary>
public sealed class ClaimOwners : IDisposable
{
    private const string MarkerSuffix = ".owner", LeaseSuffix = ".lease";
    private const long MaxSmallFile = 4096;

    /// <summary>This process's id: never reused, so a restarted daemon is a new owner whose old claims are a dead peer's.</summary>
    public static readonly string ProcessId = OwnerId.Make();

    private readonly RootDirectory _claims, _owners;
    private readonly TimeSpan _lease;
    private readonly IgnoredState? _ignored;
    private DateTime _nextRefresh = DateTime.MinValue;

    internal ClaimOwners(RootDirectory root, TimeSpan lease, IgnoredState? ignored = null, string? id = null)
    {
        Id = id ?? ProcessId;
        _lease = lease;
        _ignored = ignored;
        _claims = root.OpenDirectory(".claims");
        _owners = root.OpenDirectory(".owners");
    }

    public string Id { get; }

    /// <summary>How long a lease nobody refreshes is kept after its last write: ten leases, at least an hour (then pruned).</summary>
    public TimeSpan PruneAge => TimeSpan.FromTicks(Math.Max(TimeSpan.FromHours(1).Ticks, _lease.Ticks * 10));

    /// <summary>Writes this daemon's lease when a third of it has passed (called from the intake's loop).</summary>
    public async Task RefreshAsync(DateTime now, CancellationToken ct)
    {
        if (now < _nextRefresh) return;
        byte[] lease = LeaseFile.Write(Id, now + _lease);
        await _owners.WriteAtomicAsync(Id + LeaseSuffix, (s, c) => s.WriteAsync(lease, c).AsTask(), replace: true, ct).ConfigureAwait(false);
        _nextRefresh = now + _lease / 3;
    }

    /// <summary>Removes this daemon's lease on a clean stop: what it leaves in processing/ may be taken over at once.</summary>
    public void Retire() => _owners.Delete(Id + LeaseSuffix);

    /// <summary>Whether <paramref name="owner"/> holds a live lease that is believed (this daemon always does).</summary>
    public bool IsLive(string owner, DateTime now)
    {
        if (owner == Id) return true;
        if (!OwnerId.IsValid(owner)) return false; // an unreadable marker, or one naming no possible daemon
        string file = owner + LeaseSuffix;
        if (Read(_owners, ".owners/", file) is not { } text || text == NotAFile) return false;
        var (verdict, reason, detail) = LeaseFile.Judge(text, owner, now, _lease);
        if (verdict == LeaseFile.Verdict.Ignored) _ignored?.Report(".owners/" + file, reason!, detail!);
        else _ignored?.Clear(".owners/" + file); // believed again: should it go wrong later, that is said again
        return verdict == LeaseFile.Verdict.Live;
    }

    /// <summary>
    /// The owner recorded for <paramref name="rel"/>: null when it has no marker, <see cref="OwnerId.Unreadable"/> when
    /// its marker is not one (a link, a FIFO, too large, no id in it), which no live daemon holds.
    /// </summary>
    public string? OwnerOf(string rel) => MarkerOwner(rel + MarkerSuffix, report: true);

    /// <summary>Marks <paramref name="rel"/> as this daemon's, unless a marker is already there (then false).</summary>
    public async Task<bool> TryMarkAsync(string rel, CancellationToken ct)
    {
        byte[] id = Encoding.UTF8.GetBytes(Id);
        try
        {
            await _claims.WriteAtomicAsync(rel + MarkerSuffix, (s, c) => s.WriteAsync(id, c).AsTask(), replace: false, ct).ConfigureAwait(false);
            return true;
        }
        catch (FileExistsException)
        {
            return false;
        }
        catch (FileNotFoundException)
        {
            return false; // a starting peer removed our temporary as stale: the name counts as busy until the next scan
        }
        catch (UnsafePathException e)
        {
            // A link (or a file) where the marker's folder should be: nothing is written through it; the name waits
            // until the next sweep of .claims/ has removed the link.
            _ignored?.Report(".claims/" + rel + MarkerSuffix, ReasonOf(e), $"cannot be written: {e.Message}; the file waits in inbox");
            return false;
        }
    }

    /// <summary>Takes <paramref name="rel"/> over from <paramref name="dead"/>: true when this daemon won it.</summary>
    public async Task<bool> TryTakeOverAsync(string rel, string? dead, CancellationToken ct)
    {
        if (dead is null) return await TryMarkAsync(rel, ct).ConfigureAwait(false);
        string marker = rel + MarkerSuffix, taken = $"{marker}.{Id}.taking";
        // One rename of the marker succeeds; every other peer finds it gone.
        try
        {
            if (_claims.Move(marker, _claims, taken) != MoveResult.Moved) return false;
        }
        catch (UnsafePathException e)
        {
            // A link swapped in on the marker's way since the sweep (which removes it next time), or a name too long.
            _ignored?.Report(".claims/" + marker, ReasonOf(e), $"cannot be taken over: {e.Message}; the claim waits");
            return false;
        }
        if (MarkerOwner(taken, report: false) != dead)
        {
            // Someone took it over between our look and the rename: give theirs back.
            _claims.Move(taken, _claims, marker);
            return false;
        }
        bool mine = await TryMarkAsync(rel, ct).ConfigureAwait(false);
        TryDelete(taken);
        _ignored?.Clear(".claims/" + marker);
        return mine;
    }

    /// <summary>Removes the marker of <paramref name="rel"/> if it is this daemon's.</summary>
    public void Release(string rel)
    {
        if (OwnerOf(rel) != Id) return;
        _claims.Delete(rel + MarkerSuffix);
        WatchLayout.RemoveEmptyParents(_claims, rel);
    }

    /// <summary>Removes a marker whose owner is not live and whose file is gone from processing/ (a crash between the two).</summary>
    public void RemoveStale(string rel, string owner, DateTime now)
    {
        if (IsLive(owner, now) || OwnerOf(rel) != owner) return;
        if (!TryDelete(rel + MarkerSuffix)) return;
        _ignored?.Clear(".claims/" + rel + MarkerSuffix);
        WatchLayout.RemoveEmptyParents(_claims, rel);
    }

    public void Dispose()
    {
        _claims.Dispose();
        _owners.Dispose();
    }

    internal RootDirectory Claims => _claims;
    internal RootDirectory Owners => _owners;
    internal IgnoredState? Ignored => _ignored;

    /// <summary>Removes a marker (or a takeover file) that is not ours to keep; false (reported) when it cannot be removed, e.g. a folder of that name.</summary>
    internal bool TryDelete(string rel)
    {
        try
        {
            return _claims.Delete(rel);
        }
        catch (UnsafePathException)
        {
            return false; // a link on its way: reported when it was read, removed by the next sweep
        }
        catch (IOException e)
        {
            _ignored?.Report(".claims/" + rel, "unreadable", $"cannot be removed: {e.Message}");
            return false;
        }
    }

    private static string ReasonOf(UnsafePathException e) => e.Reason == UnsafePathReason.Symlink ? "link" : "unreadable";

    private string? MarkerOwner(string file, bool report)
    {
        if (Read(_claims, ".claims/", file, report) is not { } text) return null;
        string owner = text.Trim();
        if (OwnerId.IsValid(owner))
        {
            if (report) _ignored?.Clear(".claims/" + file);
            return owner;
        }
        if (text != NotAFile && report)
            _ignored?.Report(".claims/" + file, "malformed", "holds no daemon id; the claim counts as unowned");
        return OwnerId.Unreadable;
    }

    /// <summary>What <see cref="Read"/> gives for a file that is there but not read (never the text of a valid id or lease).</summary>
    private const string NotAFile = "\0";

    /// <summary>
    /// The text of a small state file read through <paramref name="dir"/>'s handle: null when there is none;
    /// <see cref="NotAFile"/> when something is there that is not a small regular file reached without a link (reported).
    /// </summary>
    private string? Read(RootDirectory dir, string shown, string rel, bool report = true)
    {
        string? why, reason;
        try
        {
            return Encoding.UTF8.GetString(dir.ReadAllBytes(rel, MaxSmallFile));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnsafePathException e)
        {
            (reason, why) = e.Reason switch
            {
                UnsafePathReason.Symlink => ("link", "a symbolic link is on its way; links here are never followed"),
                UnsafePathReason.NotRegularFile => ("not_regular", "not a regular file (a FIFO, socket, device or folder); only regular files are read"),
                UnsafePathReason.TooLarge => ("too_large", $"larger than {MaxSmallFile} bytes; not read"),
                _ => ("unreadable", e.Message),
            };
        }
        catch (IOException e)
        {
            (reason, why) = ("unreadable", e.Message);
        }
        if (report) _ignored?.Report(shown + rel, reason, why + (shown == ".owners/" ? "; its owner counts as gone" : "; the claim counts as unowned"));
        return NotAFile;
    }
}
