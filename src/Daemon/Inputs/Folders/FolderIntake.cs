using System.Text.Json;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Inputs.Review;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Fidelity;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Processing;

using ResShift.Pipeline.Bird;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Feeds one watch root into its model's pipeline. Claims files only while the pipeline has room, so a
/// backlog of any size waits in inbox (memory stays bounded and several daemons can share a root).
/// Crash safety: output and sidecar are written atomically before the original leaves processing/, and
/// whatever is in processing/ at start-up is resumed through the same claims as scanned files (concurrent,
/// batched together, counted against the limit, stopped by the drain): finished ones (<see cref="CompletedOutput"/>)
/// are just moved to done/, the rest are redone. On drain, claims that never started go back to inbox.
/// </summary>
public sealed class FolderIntake : IIntake
{
    private const int Attempts = 3;

    private readonly WatchLayout _layout;
    private readonly WatchSettings _settings;
    private readonly ModelPipeline _model;
    private readonly JobFactory _jobs;
    private readonly ILogger _log;
    private readonly InboxScanner _scanner;
    private readonly int _claimLimit;
    private readonly JobSettings _effective;
    private readonly ClaimSet<string> _claims = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Dictionary<string, int> _transientFailures = new(StringComparer.Ordinal);
    private readonly Queue<(string Rel, string? Owner)> _resume = new();
    private ClaimOwners? _owners;
    private Task? _leaseRefresh;
    private readonly CancellationTokenSource _leaseStop = new();
    private DateTime _nextOrphanScan;
    private readonly Backoff _diskFull = new(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
    private long _completed, _failed;

    private readonly bool _masks; // an inpainting model: NAME.mask.png travels with NAME.ext through every folder

    public FolderIntake(WatchSettings settings, ModelPipeline model, long maxPixels, ILogger log)
    {
        _settings = settings;
        _layout = new WatchLayout(settings.Root);
        _model = model;
        _jobs = new JobFactory(maxPixels);
        _log = log;
        _masks = !model.IsBird && model.Model.InputContract.Mask;
        _scanner = new InboxScanner(_layout, TimeSpan.FromSeconds(settings.SettleSeconds), _masks)
        {
            MaskGrace = TimeSpan.FromSeconds(Math.Max(0, settings.MaskWaitSeconds)),
        };
        _claimLimit = model.Options.MaxJobsInFlight * 2;
        _video = settings.Video ?? new();
        _effective = model.Options.Resolve(new JobSettings { Seed = settings.Seed, NoiseScale = settings.NoiseScale, Overlap = settings.Overlap, Blend = settings.Blend });
    }

    public WatchLayout Layout => _layout;

    /// <summary>The daemon's video defaults (ServeSettings.Video), under this root's own Video keys.</summary>
    public Configuration.VideoSettings? VideoDefaults { init => _video = (_settings.Video ?? new()).Over(value); }
    private readonly Configuration.VideoSettings _video = new();

    /// <summary>This root's place in the configuration's Watch list (the label of its metrics).</summary>
    public int Index { get; init; }
    public string Describe => "folder:" + _layout.Root;
    public string ClaimsName => "claimed";
    /// <summary>Why this root cannot take work now (gone, replaced or unwritable since start), for /readyz; null when it can.</summary>
    public string? Problem => _problem ?? _writeProblem ?? (_leaseProblem is { } lease ? $"{_layout.Root}: not writable: {lease}" : null)
        ?? (_watching ? null : $"{_layout.Root}: starting");
    private volatile bool _watching; // start-up done (folders open, lease taken, leftovers cleared): ready only from then on
    private volatile string? _problem;
    private volatile string? _writeProblem; // results cannot be written (outbox/ or review/ unwritable): set until a job completes
    private volatile string? _leaseProblem;
    private readonly Backoff _unhealthy = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    public int Claimed => _claims.Count;
    public long Completed => Interlocked.Read(ref _completed);
    public long Failed => Interlocked.Read(ref _failed);
    public event Action? Progress;

    /// <summary>Runs until <paramref name="stop"/>: queue what processing/ holds for resumption, then claim (resumed first, then scanned).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        // A root that broke between the start-up checks and here: not ready with the reason, tried again with backoff.
        while (true)
        {
            try
            {
                await StartUpAsync(stop).ConfigureAwait(false);
                Healthy();
                _watching = true;
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                TimeSpan pause = Unhealthy($"{_layout.Root}: cannot start watching: {e.Message}", DateTime.UtcNow);
                try
                {
                    await Task.Delay(pause, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
        _log.LogInformation("watching {Root} (drop files in {Inbox}, results in {Outbox})", _layout.Root, _layout.Inbox, _layout.Outbox);

        using var watcher = CreateWatcher();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                DateTime now = DateTime.UtcNow;
                if (_unhealthy.Paused(now)) goto wait; // the root was unusable: look again when the pause ends
                if (RootProblem() is { } problem)
                {
                    _ = Unhealthy(problem, now);
                    goto wait;
                }
                if (now >= _nextOrphanScan && QueueOrphans(now) is > 0 and var taken)
                    _log.LogInformation("{Root}: {Count} claims in processing/ belong to no live daemon (lease expired); taking them over", _layout.Root, taken);
                if (_diskFull.Paused(now)) goto wait; // the disk was full: claim nothing until the pause ends
                if (_writeProblem is not null)
                {
                    // Results could not be written: claim nothing until a probe says they can again.
                    if (!await ResultsWritableAsync(stop).ConfigureAwait(false)) goto wait;
                    WritableAgain();
                }
                await ClaimResumedAsync(stop).ConfigureAwait(false);
                if (_resume.Count == 0) await ScanAndClaimAsync(stop).ConfigureAwait(false);
                Healthy();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break; // SIGTERM in the middle of a claim (its marker write saw the stop): the claim never happened
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _ = Unhealthy($"{_layout.Root}: scan failed: {e.Message}", DateTime.UtcNow);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // Never let the intake stop silently: say what broke and keep watching.
                _log.LogError(e, "{Root}: unexpected failure while claiming: {Message}; retrying", _layout.Root, e.Message);
            }
            wait:
            try
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(_settings.PollMilliseconds), stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        if (_resume.Count > 0)
            _log.LogInformation("{Root}: {Count} jobs not resumed before the stop stay in processing/ for the next start", _layout.Root, _resume.Count);
    }

    /// <summary>Opens the folders, takes this daemon's lease and queues the claims no live daemon owns.</summary>
    private async Task StartUpAsync(CancellationToken stop)
    {
        _layout.Open();
        _owners ??= new ClaimOwners(_layout.RootDir, TimeSpan.FromSeconds(_settings.LeaseSeconds));
        await _owners.RefreshAsync(DateTime.UtcNow, stop).ConfigureAwait(false);
        // Refreshed apart from the claiming loop, until the intake is disposed: jobs still draining after the stop stay ours.
        _leaseRefresh ??= RefreshLeaseAsync(_owners, _leaseStop.Token);
        int stale = _layout.RemoveStaleTemporaries(DateTime.UtcNow) + ClaimOwners.RemoveTemporaries(_owners, _layout.Root);
        if (stale > 0) _log.LogInformation("{Root}: removed {Count} temporary files left by an interrupted write", _layout.Root, stale);
        int spooled = Video.VideoSpool.Prune(_layout.RootDir, _layout.ProcessingDir);
        if (spooled > 0) _log.LogInformation("{Root}: removed {Count} video spool entries whose input has left processing/", _layout.Root, spooled);
        InboxMetrics.Register(Index, () => _scanner.Seen);
        int orphans = QueueOrphans(DateTime.UtcNow);
        if (orphans > 0) _log.LogInformation("{Root}: resuming {Count} jobs found in processing/", _layout.Root, orphans);
    }

    public void ReturnUnstarted() => _claims.ReturnUnstarted();

    public void CancelAll() => _claims.CancelAll();

    public Task WaitIdleAsync(CancellationToken ct) => _claims.WaitIdleAsync(ct);

    public async ValueTask DisposeAsync()
    {
        InboxMetrics.Unregister(Index);
        await _leaseStop.CancelAsync().ConfigureAwait(false);
        if (_leaseRefresh is not null) await _leaseRefresh.ConfigureAwait(false);
        _leaseStop.Dispose();
        try
        {
            _owners?.Retire(); // what stays in processing/ is free for a peer (or the next start) at once
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("{Root}: could not remove this daemon's lease: {Message}", _layout.Root, e.Message);
        }
        _owners?.Dispose();
        _wake.Dispose();
        _layout.Dispose();
    }

    /// <summary>
    /// What makes the root unusable now: its path no longer shows this daemon's lease (the folder was removed, renamed
    /// or replaced since start). A lease that cannot be written (unwritable, disk full) only makes it not ready: claims
    /// go on, and a full disk pauses them through the disk-full backoff.
    /// </summary>
    private string? RootProblem()
    {
        if (!File.Exists(Path.Combine(_layout.Root, ".owners", _owners!.Id + ".lease")))
            return $"{_layout.Root}: the watch root is gone or was replaced since start";
        return null;
    }

    /// <summary>Not ready with the reason, and claiming paused with a growing backoff; logged when the reason changes.</summary>
    private TimeSpan Unhealthy(string problem, DateTime now)
    {
        TimeSpan pause = _unhealthy.Fail(now);
        if (_problem != problem) _log.LogError("{Problem}; not ready, retrying (every {Seconds} s at most 30)", problem, pause.TotalSeconds);
        _problem = problem;
        return pause;
    }

    private void Healthy()
    {
        if (_problem is null) return;
        _unhealthy.Succeed();
        _problem = null;
        _log.LogInformation("{Root}: usable again; ready", _layout.Root);
    }

    private async Task RefreshLeaseAsync(ClaimOwners owners, CancellationToken ct)
    {
        TimeSpan tick = TimeSpan.FromSeconds(Math.Min(1, _settings.LeaseSeconds / 6));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(tick, ct).ConfigureAwait(false);
                await owners.RefreshAsync(DateTime.UtcNow, ct).ConfigureAwait(false);
                _leaseProblem = null;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Peers take our claims over if this lasts past the lease: reported through readiness, tried again on the next tick.
                if (_leaseProblem != e.Message) _log.LogWarning("{Root}: could not refresh this daemon's lease: {Message}", _layout.Root, e.Message);
                _leaseProblem = e.Message;
            }
        }
    }

    private FileSystemWatcher? CreateWatcher()
    {
        try
        {
            // A hint to scan sooner; polling stays the source of truth (watchers miss events on network file systems).
            // The scanner skips scans that cannot find anything new; a new name (or lost events) makes the next one due.
            var w = new FileSystemWatcher(_layout.Inbox) { IncludeSubdirectories = true, EnableRaisingEvents = true };
            w.Created += (_, _) => Changed();
            w.Renamed += (_, _) => Changed();
            w.Error += (_, _) => Changed();
            _scanner.Watched = true;
            return w;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether outbox/ and review/ take a file again (a hidden probe written and removed): so readiness comes back
    /// after permissions are fixed even when the job that found them broken is no longer there to be retried.
    /// </summary>
    private async Task<bool> ResultsWritableAsync(CancellationToken stop)
    {
        const string probe = ".resshift-write-check";
        try
        {
            foreach (RootDirectory folder in new[] { _layout.OutboxDir, _layout.ReviewDir })
            {
                await folder.WriteAtomicAsync(probe, (_, _) => Task.CompletedTask, replace: true, stop).ConfigureAwait(false);
                folder.Delete(probe);
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _ = _diskFull.Fail(DateTime.UtcNow); // still not: look again after a longer pause
            return false;
        }
    }

    private void WritableAgain()
    {
        if (_writeProblem is null) return;
        _writeProblem = null;
        _log.LogInformation("{Root}: results can be written again; ready", _layout.Root);
    }

    private void Changed()
    {
        _scanner.Changed();
        Wake();
    }

    private void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0) _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // A job settled after the intake was disposed: nobody is waiting any more.
        }
    }

    /// <summary>
    /// Queues the files in processing/ that no live daemon owns (a crashed or stopped one's, or unmarked ones) for
    /// resumption; a live peer's claims are left alone. Processing/ is listed before the markers are read: a claim
    /// is marked before its file moves in, so a file seen there whose marker is missing afterwards is truly unowned.
    /// </summary>
    private int QueueOrphans(DateTime now)
    {
        _nextOrphanScan = now + TimeSpan.FromSeconds(_settings.LeaseSeconds / 3);
        // A peer killed mid-write: its temporaries go as soon as its lock is released (by its death), not at our next start.
        if (_layout.RootDir.RemoveDeadTemporaries() is > 0 and var swept)
            _log.LogInformation("{Root}: removed {Count} temporary files of a daemon that is gone", _layout.Root, swept);
        var queued = _resume.Select(r => r.Rel).ToHashSet(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(_layout.Processing, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => Path.GetRelativePath(_layout.Processing, f)).Order(StringComparer.Ordinal).ToList();
        int added = 0;
        RemoveStaleMarkers(now);
        foreach (string rel in files)
        {
            if (_masks && MaskNaming.IsMask(Path.GetFileName(rel))) continue; // resumed with its image
            if (rel.EndsWith(RootDirectory.TempSuffix, StringComparison.Ordinal) || _claims.Contains(rel) || queued.Contains(rel)) continue;
            string? owner = _owners!.OwnerOf(rel);
            if (owner is not null && _owners.IsLive(owner, now)) continue; // a live daemon's (ours included) claim
            _resume.Enqueue((rel, owner));
            added++;
        }
        return added;
    }

    /// <summary>Markers a dead daemon left for files no longer in processing/ (killed between the move and the marker's removal).</summary>
    private void RemoveStaleMarkers(DateTime now)
    {
        string claims = Path.Combine(_layout.Root, ".claims");
        if (!Directory.Exists(claims)) return;
        if (_owners!.RemoveDeadTakeovers(_layout.Root, now) is > 0 and var takeovers)
            _log.LogInformation("{Root}: removed {Count} takeover files of a daemon that died taking claims over", _layout.Root, takeovers);
        foreach (string marker in Directory.EnumerateFiles(claims, "*.owner", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            string rel = Path.GetRelativePath(claims, marker)[..^".owner".Length];
            if (_claims.Contains(rel) || _layout.ProcessingDir.Stat(rel) is not null) continue;
            if (_owners!.OwnerOf(rel) is { } owner) _owners.RemoveStale(rel, owner, now);
        }
    }

    /// <summary>Files left in processing/ by a crash or a dead peer, claimed like scanned ones while there is room.</summary>
    private async Task ClaimResumedAsync(CancellationToken stop)
    {
        while (_resume.Count > 0 && Claimed < _claimLimit && !stop.IsCancellationRequested)
        {
            var (rel, owner) = _resume.Dequeue();
            if (_claims.Contains(rel) || _layout.ProcessingDir.Stat(rel) is null) continue;
            // Of several peers taking over the same claim, one wins; the others leave it.
            if (!await _owners!.TryTakeOverAsync(rel, owner, stop).ConfigureAwait(false)) continue;
            if (_layout.ProcessingDir.Stat(rel) is null)
            {
                _owners.Release(rel);
                continue;
            }
            if (owner is not null) _log.LogInformation("{Root}: took over {Name} from {Owner} (its lease expired)", _layout.Root, rel, owner);
            if (_model.IsBird ? CompletedBirdOutput.Matches(BirdFiles(rel), _model.Model.Id, _settings.BirdSettings())
                : await Video.VideoJobRunner.IsVideoAsync(_layout.ProcessingDir, rel, stop).ConfigureAwait(false)
                    ? CompletedOutput.MatchesVideo(_layout.Outbox, rel, Path.Combine(_layout.Processing, rel), _model.Model.Id, _effective)
                    : CompletedOutput.Matches(OutputPath(rel), Path.Combine(_layout.Processing, rel), _model.Model.Id, _effective))
            {
                // The crash came after the output and sidecar were durable: only the move to done/ was missing.
                if (MoveOrReport(rel, _layout.DoneDir, "done/") is not null)
                {
                    Interlocked.Increment(ref _completed);
                    _log.LogInformation("{Root}: {Name} was already restored; moved to done/", _layout.Root, rel);
                }
                ReleaseIfGone(rel);
                continue;
            }
            Start(rel);
        }
    }

    /// <summary>Drops this daemon's marker of <paramref name="rel"/> once the file has left processing/.</summary>
    private void ReleaseIfGone(string rel)
    {
        try
        {
            if (_layout.ProcessingDir.Stat(rel) is not null) return;
            _owners?.Release(rel);
            WatchLayout.RemoveEmptyParents(_layout.ProcessingDir, rel); // processing/sub/ goes with its last job
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("{Root}: could not remove the claim marker of {Name}: {Message}", _layout.Root, rel, e.Message);
        }
    }

    private async Task ScanAndClaimAsync(CancellationToken stop)
    {
        if (Claimed >= _claimLimit || !_scanner.Due(DateTime.UtcNow)) return;
        foreach (InboxEntry entry in _scanner.Scan(DateTime.UtcNow))
        {
            if (Claimed >= _claimLimit || stop.IsCancellationRequested) break;
            if (entry.RefuseReason is not null)
            {
                await RefuseAsync(entry).ConfigureAwait(false);
                continue;
            }
            // A claim still settling (a file handed back a moment ago is in inbox before its claim ends).
            if (_claims.Contains(entry.Relative)) continue;
            // Marked as ours before it moves (a peer listing processing/ then always finds its owner); a name
            // marked by another claim still in work waits in inbox until the name is free.
            try
            {
                if (!await MarkAsync(entry.Relative, stop).ConfigureAwait(false)) continue;
            }
            catch (IOException e) when (DiskSpace.IsFull(e))
            {
                TimeSpan pause = _diskFull.Fail(DateTime.UtcNow);
                _log.LogWarning("{Root}: {Name}: disk full ({Message}); not claimed, claiming again in {Seconds} s", _layout.Root, entry.Relative, e.Message, pause.TotalSeconds);
                break;
            }
            // Never over a file of the same name still in work: that one waits in inbox until the name is free.
            MoveResult claimed;
            try
            {
                claimed = _layout.InboxDir.Move(entry.Relative, _layout.ProcessingDir, entry.Relative);
            }
            catch (UnsafePathException e)
            {
                // A folder on its way became a link after the scan: refused where it stands, nothing followed.
                _log.LogWarning("{Root}: not claiming {Name}: {Message}", _layout.Root, entry.Relative, e.Message);
                _owners!.Release(entry.Relative);
                continue;
            }
            if (claimed != MoveResult.Moved)
            {
                _owners!.Release(entry.Relative);
                continue;
            }
            MoveMask(entry.Relative, _layout.InboxDir, _layout.ProcessingDir, entry.Relative);
            Start(entry.Relative);
        }
    }

    /// <summary>
    /// Marks <paramref name="rel"/> as this daemon's claim. A marker left by a dead daemon for a file no longer in
    /// processing/ (it crashed between the two) is removed first; a live owner's marker keeps the name busy.
    /// </summary>
    private async Task<bool> MarkAsync(string rel, CancellationToken stop)
    {
        if (await _owners!.TryMarkAsync(rel, stop).ConfigureAwait(false)) return true;
        if (_owners.OwnerOf(rel) is not { } owner || _layout.ProcessingDir.Stat(rel) is not null) return false;
        _owners.RemoveStale(rel, owner, DateTime.UtcNow);
        return await _owners.TryMarkAsync(rel, stop).ConfigureAwait(false);
    }

    /// <summary>Claims <paramref name="rel"/> (now in processing/) and runs it in the background; the claim counts from here.</summary>
    private void Start(string rel)
    {
        Claim claim = _claims.Add(rel);
        Background.Run(() => RunJobAsync(rel, claim), _log, $"{_layout.Root}: {rel}");
    }

    private async Task RefuseAsync(InboxEntry entry)
    {
        _log.LogWarning("{Root}: refusing {Name}: {Reason}", _layout.Root, entry.Relative, entry.RefuseReason);
        string? aside = null;
        try
        {
            // A link is moved as a link (never followed), once: the next scan no longer sees it.
            aside = WatchLayout.MoveAside(_layout.InboxDir, _layout.FailedDir, entry.Relative, WatchLayout.ErrorFile);
        }
        catch (IOException e)
        {
            _log.LogError("{Root}: could not move {Name} to failed/: {Message}", _layout.Root, entry.Relative, e.Message);
        }
        if (aside is not null)
            await WriteErrorAsync(aside, entry.Relative, $"{entry.Relative}: {entry.RefuseReason}", "refused").ConfigureAwait(false);
        Interlocked.Increment(ref _failed);
        PipelineMetrics.Jobs.Add(1, new("source", "folder"), new("result", "failed"));
    }

    /// <summary>A BIRD job's files: read from processing/, written through outbox/'s handle (a taken name gets photo-2.png).</summary>
    private BirdJobFiles BirdFiles(string rel) => new(_layout.ProcessingDir, rel, _layout.OutboxDir, OutputRelative(rel))
    {
        MaxInputBytes = _jobs.MaxInputBytes,
        Alternative = (_, n) => WatchLayout.Variant(OutputRelative(rel), n),
        Mask = _settings.Mask is { Length: > 0 } m ? (_layout.RootDir, m) : null,
    };

    private string OutputPath(string rel) => Path.Combine(_layout.Outbox, OutputRelative(rel));

    private string OutputRelative(string rel) =>
        _settings.OutputFormat is { Length: > 0 } ext ? Path.ChangeExtension(rel, ext.TrimStart('.')) : rel;


    private const string HeldInfix = ".restored";

    /// <summary>
    /// A held output's name in review/, &lt;name&gt;.restored&lt;ext&gt; beside its original: the first variant of the
    /// original's name (photo.png, photo-2.png, ... from <paramref name="from"/> on) for which the original, the output,
    /// its sidecar and the record are all still free, so nothing in review/ is ever replaced.
    /// </summary>
    private string HeldRelative(string rel, int from)
    {
        string ext = Path.GetExtension(OutputRelative(rel));
        RootDirectory review = _layout.ReviewDir;
        for (int n = from; ; n++)
        {
            string original = n == 1 ? rel : WatchLayout.Variant(rel, n);
            string held = original + HeldInfix + ext;
            if (review.Stat(original) is null && review.Stat(held) is null && review.Stat(held + ProvenanceSidecar.Suffix) is null
                && review.Stat(original + FidelityReview.RecordSuffix) is null)
                return held;
            if (n > 10_000) throw new IOException($"{rel}: no free name in {review}");
        }
    }

    /// <summary>The held output's files: read from processing/, written through review/'s handle (never over a file).</summary>
    private RootedJobFiles HeldFiles(string rel) => new(_layout.ProcessingDir, rel, _layout.ReviewDir, HeldRelative(rel, 1))
    {
        MaxInputBytes = _jobs.MaxInputBytes,
        Alternative = (_, n) => HeldRelative(rel, n),
    };

    private async Task RunJobAsync(string rel, Claim claim)
    {
        try
        {
            if (_model.IsBird)
            {
                // Through the root handles like image jobs; a name already in outbox/ gets the next free one (photo-2.png).
                BirdRestoreJob bird = _jobs.CreateBird(_model, _settings.BirdSettings(), BirdFiles(rel), rel, () => Progress?.Invoke());
                await SettleAsync(rel, await JobFactory.RunBirdAsync(_model, bird, "folder", claim.Token).ConfigureAwait(false)).ConfigureAwait(false);
                return;
            }
            if (await Video.VideoJobRunner.IsVideoAsync(_layout.ProcessingDir, rel, claim.Token).ConfigureAwait(false))
            {
                // Opened through processing/'s handle and read by ffmpeg through that descriptor; restored in the root's
                // spool with this root's video settings, delivered to outbox/ without replacing a file.
                await SettleAsync(rel, await Video.VideoJobRunner.RunInRootAsync(_model, _effective, _video, _layout.RootDir, _layout.ProcessingDir, rel,
                    _layout.OutboxDir, "folder", _jobs.MaxPixels, claim.Token).ConfigureAwait(false)).ConfigureAwait(false);
                return;
            }
            // Two inputs mapping to one output (photo.jpg and photo.png as png), or a name dropped again: a distinct
            // output name (photo-2.png) rather than a replaced one; the sidecar names the input it came from.
            var files = new RootedJobFiles(_layout.ProcessingDir, rel, _layout.OutboxDir, OutputRelative(rel))
            {
                MaxInputBytes = _jobs.MaxInputBytes,
                Alternative = (_, n) => WatchLayout.Variant(OutputRelative(rel), n),
            };
            FileRestoreJob job = _jobs.Create(_model, _effective, files, rel, "folder", threshold: _settings.Fidelity, held: () => HeldFiles(rel),
                mask: _masks ? MaskSource.FromRoot(_layout.ProcessingDir, MaskNaming.MaskFor(rel), MaskNaming.MaskFor(rel), _jobs.MaxInputBytes) : null);
            claim.Job = job;
            JobResult result = await JobFactory.RunAsync(_model, job, claim.Token).ConfigureAwait(false);
            await SettleAsync(rel, result).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Settling itself failed in a way nobody foresaw: say so, and put the file where an operator will look.
            _log.LogError(e, "{Root}: {Name}: unexpected failure: {Message}", _layout.Root, rel, e.Message);
            await FailAsync(rel, e.Message, "error").ConfigureAwait(false);
        }
        finally
        {
            ReleaseIfGone(rel);
            claim.Dispose();
            Progress?.Invoke();
            Wake();
        }
    }

    /// <summary>Every way a job can end, in one place: done/, back to inbox, or failed/ with the reason.</summary>
    private async Task SettleAsync(string rel, JobResult result)
    {
        switch (result.Kind)
        {
            case OutcomeKind.Completed or OutcomeKind.AlreadyDone:
                _diskFull.Succeed();
                WritableAgain();
                lock (_transientFailures) _transientFailures.Remove(rel);
                if (MoveOrReport(rel, _layout.DoneDir, "done/") is not null)
                {
                    Interlocked.Increment(ref _completed);
                    _log.LogInformation("{Root}: restored {Name}", _layout.Root, rel);
                    RemoveStaleError(rel);
                }
                else
                {
                    await FailAsync(rel, $"{rel} was restored to outbox/, but the original could not be moved to done/ (see the log)", "io").ConfigureAwait(false);
                }
                break;
            case OutcomeKind.Review:
                _diskFull.Succeed();
                lock (_transientFailures) _transientFailures.Remove(rel);
                await HoldForReviewAsync(rel, result).ConfigureAwait(false);
                break;
            case OutcomeKind.Cancelled:
                HandBack(rel);
                break;
            case OutcomeKind.Transient when DiskSpace.IsFull(result.Exception):
                // Not the input's fault and not worth counting: back to inbox, and no claims until the pause ends.
                TimeSpan pause = _diskFull.Fail(DateTime.UtcNow);
                _log.LogWarning("{Root}: {Name}: disk full ({Message}); handed back, claiming again in {Seconds} s", _layout.Root, rel, result.Error, pause.TotalSeconds);
                HandBack(rel);
                break;
            case OutcomeKind.Transient when DiskSpace.IsNotWritable(result.Exception):
                // Permissions changed under us (or a read-only remount): not ready, the job waits in inbox, claims pause.
                TimeSpan wait = _diskFull.Fail(DateTime.UtcNow);
                if (_writeProblem is null) _log.LogError("{Root}: {Name}: cannot write its result ({Message}); handed back, not ready, claiming again in {Seconds} s", _layout.Root, rel, result.Error, wait.TotalSeconds);
                _writeProblem = $"{_layout.Root}: results cannot be written: {result.Error}";
                HandBack(rel);
                break;
            case OutcomeKind.Transient when RetryAfterTransientFailure(rel):
                // The input may be fine and the engine or disk not: back to inbox for another attempt.
                _log.LogWarning("{Root}: {Name} failed ({Kind}): {Message}; retrying", _layout.Root, rel, result.Class?.Label, result.Error);
                HandBack(rel);
                break;
            default:
                _log.LogWarning("{Root}: {Name} failed ({Kind}): {Message}", _layout.Root, rel, result.Class?.Label, result.Error);
                await FailAsync(rel, result.Error ?? "failed", result.Class?.Label ?? "error").ConfigureAwait(false);
                break;
        }
    }

    /// <summary>
    /// The output and its sidecar are already in review/; the record goes next, then the original joins them, so an
    /// original in review/ always has both beside it (a crash before that leaves it in processing/, redone at start-up).
    /// </summary>
    private async Task HoldForReviewAsync(string rel, JobResult result)
    {
        string held = Path.GetRelativePath(_layout.Review, result.HeldOutput!);
        string original = held[..^(HeldInfix + Path.GetExtension(held)).Length];
        var record = FidelityReview.Record(rel, Path.GetRelativePath(_layout.Root, result.HeldOutput!), Path.GetRelativePath(_layout.Root, OutputPath(rel)),
            _model.Model.Id, result.Report!, _settings.Fidelity);
        await FidelityReview.WriteAsync(_layout.ReviewDir, original + FidelityReview.RecordSuffix, record, replace: false, CancellationToken.None).ConfigureAwait(false);
        if (MoveToReview(rel, original) is not null)
        {
            Interlocked.Increment(ref _completed);
            FidelityMetrics.RecordHeld(_model.Model.Id, "folder");
            _log.LogWarning("{Root}: {Name} held in review/: {Reason}", _layout.Root, rel, record["reason"]?.GetValue<string>());
        }
        else
        {
            await FailAsync(rel, $"{rel} was restored to review/, but the original could not be moved there (see the log)", "io").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The original to review/ under the name its output and record were given (free when they were written; should a
    /// file of that name have appeared since, the next free variant, never a replaced file). Null: logged, still in processing/.
    /// </summary>
    private string? MoveToReview(string rel, string original)
    {
        try
        {
            switch (_layout.ProcessingDir.Move(rel, _layout.ReviewDir, original))
            {
                case MoveResult.Moved: return original;
                case MoveResult.TargetExists: return MoveOrReport(rel, _layout.ReviewDir, "review/");
            }
            _log.LogWarning("{Root}: {Name} vanished from processing/ before it could go to review/", _layout.Root, rel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogError("{Root}: could not move {Name} to review/: {Message}", _layout.Root, rel, e.Message);
        }
        return null;
    }

    private bool RetryAfterTransientFailure(string rel)
    {
        lock (_transientFailures)
        {
            int n = _transientFailures[rel] = _transientFailures.GetValueOrDefault(rel) + 1;
            if (n < Attempts) return true;
            _transientFailures.Remove(rel);
            return false;
        }
    }

    /// <summary>
    /// Moves the original out of processing/ under its name, or a distinct one (photo-2.png) when an earlier
    /// original of that name is already there: nothing in done/ or failed/ is ever replaced. The name it got,
    /// or null (logged; the file is still in processing/).
    /// </summary>
    private string? MoveOrReport(string rel, RootDirectory folder, string name, Func<string, string>? companion = null)
    {
        try
        {
            if (WatchLayout.MoveAside(_layout.ProcessingDir, folder, rel, companion) is { } moved)
            {
                MoveMask(rel, _layout.ProcessingDir, folder, moved);
                return moved;
            }
            _log.LogWarning("{Root}: {Name} vanished from processing/ before it could go to {Folder}", _layout.Root, rel, name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogError("{Root}: could not move {Name} to {Folder}: {Message}", _layout.Root, rel, name, e.Message);
        }
        return null;
    }

    /// <summary>
    /// The image's mask follows it (claim, done/, failed/, review/, back to inbox), named after where the image
    /// went (photo-2.png → photo-2.mask.png); a mask that cannot move is logged, never fatal.
    /// </summary>
    private void MoveMask(string rel, RootDirectory from, RootDirectory to, string imageThere)
    {
        if (!_masks) return;
        string mask = MaskNaming.MaskFor(rel);
        try
        {
            if (from.Stat(mask) is null) return;
            if (from.Move(mask, to, MaskNaming.MaskFor(imageThere)) == MoveResult.TargetExists)
                WatchLayout.MoveAside(from, to, mask);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("{Root}: could not move the mask {Mask} with {Name}: {Message}", _layout.Root, mask, rel, e.Message);
        }
    }

    private void HandBack(string rel)
    {
        // Never over a newer file of the same name in inbox, never through a link: then it stays in processing/ and is resumed at start-up.
        try
        {
            MoveResult r = _layout.ProcessingDir.Move(rel, _layout.InboxDir, rel);
            if (r == MoveResult.Moved)
            {
                MoveMask(rel, _layout.ProcessingDir, _layout.InboxDir, rel);
                _log.LogInformation("{Root}: handed {Name} back to inbox", _layout.Root, rel);
            }
            else if (r == MoveResult.TargetExists) _log.LogInformation("{Root}: {Name} stays in processing/ (a newer file of that name is in inbox); it is resumed at the next start", _layout.Root, rel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogError("{Root}: could not hand {Name} back to inbox ({Message}); it stays in processing/ and is resumed at the next start", _layout.Root, rel, e.Message);
        }
    }

    /// <summary>
    /// A retried input (moved back from failed/ to inbox by an operator) that now succeeded: its old error file, left
    /// alone in failed/ without its original, would say it failed; removed. One beside an original still there stays.
    /// </summary>
    private void RemoveStaleError(string rel)
    {
        try
        {
            if (_layout.FailedDir.Stat(rel) is null && _layout.FailedDir.Delete(WatchLayout.ErrorFile(rel)))
                _log.LogInformation("{Root}: removed the stale failed/{Error} of {Name} (restored now)", _layout.Root, WatchLayout.ErrorFile(rel), rel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("{Root}: could not remove the stale error file of {Name}: {Message}", _layout.Root, rel, e.Message);
        }
    }

    private async Task FailAsync(string rel, string reason, string kind)
    {
        Interlocked.Increment(ref _failed);
        if (MoveOrReport(rel, _layout.FailedDir, "failed/", WatchLayout.ErrorFile) is not { } moved)
        {
            // Even failed/ cannot take it (disk full, permissions): the original stays in processing/ and is retried at start-up.
            if (_layout.ProcessingDir.Stat(rel) is not null)
                _log.LogError("{Root}: {Name} stays in processing/ and is retried at the next start", _layout.Root, rel);
            return;
        }
        await WriteErrorAsync(moved, rel, reason, kind).ConfigureAwait(false);
    }

    /// <param name="moved">The original's name in failed/ (its error file goes beside it).</param>
    private async Task WriteErrorAsync(string moved, string rel, string reason, string kind)
    {
        string path = Path.Combine(_layout.Failed, WatchLayout.ErrorFile(moved));
        var doc = new Dictionary<string, object?>
        {
            ["input"] = rel, ["kind"] = kind, ["reason"] = reason, ["model"] = _model.Model.Id,
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), ["software_version"] = BuildInfo.Version,
        };
        try
        {
            await _layout.FailedDir.WriteAtomicAsync(WatchLayout.ErrorFile(moved),
                (s, ct) => JsonSerializer.SerializeAsync(s, doc, new JsonSerializerOptions { WriteIndented = true }, ct), replace: true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogError(e, "{Root}: could not write {Path}", _layout.Root, path);
        }
    }
}
