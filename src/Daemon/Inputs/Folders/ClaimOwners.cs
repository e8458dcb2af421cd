using System.Text;
using System.Text.Json;
using ResShift.Pipeline.Files;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Who owns each claim in processing/, so daemons sharing a watch root never redo a live peer's work. Each daemon
/// has an id (host, pid, start time, random) and a lease, <c>.owners/ID.lease</c> under the root (JSON with its
/// expiry, refreshed every third of the lease); each claim has a marker, <c>.claims/REL.owner</c> holding its
/// owner's id, written (never over another) before the file moves into processing/ and removed once it has left.
/// Both live beside the six folders, never in inbox/ or processing/, so no marker is ever taken as a job.
/// A claim may be resumed only when its owner's lease has expired or is missing (or it has no marker: a claim
/// made before markers existed); taking one over renames its marker away first, so of several peers one wins.
/// </summary>
public sealed class ClaimOwners : IDisposable
{
    private const string MarkerSuffix = ".owner";
    private const long MaxSmallFile = 4096;

    /// <summary>This process's id: never reused, so a restarted daemon is a new owner whose old claims are a dead peer's.</summary>
    public static readonly string ProcessId = MakeId();

    private readonly RootDirectory _claims, _owners;
    private readonly TimeSpan _lease;
    private DateTime _nextRefresh = DateTime.MinValue;

    public ClaimOwners(RootDirectory root, TimeSpan lease, string? id = null)
    {
        Id = id ?? ProcessId;
        _lease = lease;
        _claims = root.OpenDirectory(".claims");
        _owners = root.OpenDirectory(".owners");
    }

    public string Id { get; }

    /// <summary>Writes this daemon's lease when a third of it has passed (called from the intake's loop).</summary>
    public async Task RefreshAsync(DateTime now, CancellationToken ct)
    {
        if (now < _nextRefresh) return;
        var doc = new Dictionary<string, object>
        {
            ["owner"] = Id, ["pid"] = Environment.ProcessId, ["host"] = Environment.MachineName,
            ["expires"] = now + _lease,
        };
        await _owners.WriteAtomicAsync(Id + ".lease", (s, c) => JsonSerializer.SerializeAsync(s, doc, cancellationToken: c), replace: true, ct).ConfigureAwait(false);
        _nextRefresh = now + _lease / 3;
    }

    /// <summary>Removes this daemon's lease on a clean stop: what it leaves in processing/ may be taken over at once.</summary>
    public void Retire() => _owners.Delete(Id + ".lease");

    /// <summary>Whether <paramref name="owner"/> holds an unexpired lease (this daemon always does).</summary>
    public bool IsLive(string owner, DateTime now)
    {
        if (owner == Id) return true;
        string? text = Read(_owners, owner + ".lease");
        if (text is null) return false;
        try
        {
            using JsonDocument doc = JsonDocument.Parse(text);
            return doc.RootElement.TryGetProperty("expires", out JsonElement e) && e.TryGetDateTime(out DateTime expires)
                && expires.ToUniversalTime() > now;
        }
        catch (JsonException)
        {
            return false; // a torn or foreign file is no lease
        }
    }

    /// <summary>The owner recorded for <paramref name="rel"/>, or null when it has no marker.</summary>
    public string? OwnerOf(string rel) => Read(_claims, rel + MarkerSuffix)?.Trim();

    /// <summary>Marks <paramref name="rel"/> as this daemon's, unless a marker is already there (then false).</summary>
    public async Task<bool> TryMarkAsync(string rel, CancellationToken ct)
    {
        try
        {
            await _claims.WriteAtomicAsync(rel + MarkerSuffix, (s, c) => s.WriteAsync(Encoding.UTF8.GetBytes(Id), c).AsTask(), replace: false, ct).ConfigureAwait(false);
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
    }

    /// <summary>Takes <paramref name="rel"/> over from <paramref name="dead"/>: true when this daemon won it.</summary>
    public async Task<bool> TryTakeOverAsync(string rel, string? dead, CancellationToken ct)
    {
        if (dead is null) return await TryMarkAsync(rel, ct).ConfigureAwait(false);
        string marker = rel + MarkerSuffix, taken = $"{marker}.{Id}.taking";
        // One rename of the marker succeeds; every other peer finds it gone.
        if (_claims.Move(marker, _claims, taken) != MoveResult.Moved) return false;
        if (Read(_claims, taken)?.Trim() != dead)
        {
            // Someone took it over between our look and the rename: give theirs back.
            _claims.Move(taken, _claims, marker);
            return false;
        }
        bool mine = await TryMarkAsync(rel, ct).ConfigureAwait(false);
        _claims.Delete(taken);
        return mine;
    }

    /// <summary>Removes the marker of <paramref name="rel"/> if it is this daemon's.</summary>
    public void Release(string rel)
    {
        if (OwnerOf(rel) != Id) return;
        _claims.Delete(rel + MarkerSuffix);
        WatchLayout.RemoveEmptyParents(_claims, rel);
    }

    /// <summary>
    /// Removes what takeovers left by a daemon killed in the middle of one: <c>REL.owner.ID.taking</c>, the dead
    /// owner's marker renamed by taker ID, which died before writing its own. The claim is unmarked then (free for
    /// anyone), so the file is only clutter; one whose taker is live is a takeover in progress and stays.
    /// </summary>
    public int RemoveDeadTakeovers(string root, DateTime now)
    {
        string claims = Path.Combine(root, ".claims");
        if (!Directory.Exists(claims)) return 0;
        int removed = 0;
        const string taking = ".taking", infix = MarkerSuffix + ".";
        foreach (string f in Directory.EnumerateFiles(claims, "*" + taking, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            string rel = Path.GetRelativePath(claims, f), name = Path.GetFileName(rel)[..^taking.Length];
            int at = name.LastIndexOf(infix, StringComparison.Ordinal);
            if (at < 0) continue;
            string taker = name[(at + infix.Length)..];
            if (taker.Length > 0 && !IsLive(taker, now) && _claims.Delete(rel)) removed++;
        }
        return removed;
    }

    /// <summary>Removes a marker whose owner is dead and whose file is gone from processing/ (a crash between the two).</summary>
    public void RemoveStale(string rel, string owner, DateTime now)
    {
        if (IsLive(owner, now) || OwnerOf(rel) != owner) return;
        _claims.Delete(rel + MarkerSuffix);
        WatchLayout.RemoveEmptyParents(_claims, rel);
    }

    /// <summary>
    /// Removes the temporaries a SIGKILL left beside a marker or lease (versions before the temporary area, which
    /// <see cref="WatchLayout.RemoveStaleTemporaries"/> sweeps, wrote them there; a peer's write in flight at that very
    /// moment fails its rename and is retried: a marker as a busy name on the next scan, a lease on the next tick).
    /// </summary>
    public static int RemoveTemporaries(ClaimOwners owners, string root)
    {
        int removed = 0;
        foreach (var (name, dir) in new[] { (".claims", owners._claims), (".owners", owners._owners) })
        {
            string path = Path.Combine(root, name);
            if (!Directory.Exists(path)) continue;
            foreach (string f in Directory.EnumerateFiles(path, "*" + RootDirectory.TempSuffix, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
                if (dir.Delete(Path.GetRelativePath(path, f))) removed++;
        }
        return removed;
    }

    public void Dispose()
    {
        _claims.Dispose();
        _owners.Dispose();
    }

    private static string? Read(RootDirectory dir, string rel)
    {
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
    }

    private static string MakeId()
    {
        string host = new(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(64).ToArray());
        return $"{host}-{Environment.ProcessId}-{DateTime.UtcNow:yyyyMMddTHHmmss}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4))}";
    }
}
