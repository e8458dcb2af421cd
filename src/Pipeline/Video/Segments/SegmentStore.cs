using System.Security.Cryptography;
using ResShift.Pipeline.Jobs;
using ResShift.Pipeline.Video.Processes;

namespace ResShift.Pipeline.Video.Segments;

/// <summary>
/// The spool of one video job: a folder (by default hidden beside the output: <see cref="For"/>; a daemon's queue
/// puts it in the root's <c>.resshift-video/</c>, named through a held descriptor) holding committed segments and their
/// records. A segment counts as committed only when its record matches this job (input digest, settings,
/// range) and the file it names is there with that sha256 and the right number of packets. The spool may be
/// shared storage that several processes (on several machines) write at once: each store instance encodes to
/// its own <c>.part</c> name, and a commit is a rename plus an atomic record, so two workers that computed the
/// same segment (a duplicated message) both commit the same bytes and neither sees a half-written file.
/// </summary>
public sealed class SegmentStore(string directory, FfmpegTools tools)
{
    public string Directory { get; } = directory;

    /// <summary>
    /// The spool's handle when the daemon opened it (<see cref="SpoolFolder"/>, <see cref="Directory"/> is then its
    /// descriptor): records and segments are read through it (a link, a FIFO or an oversized record is not read) and
    /// the spool is removed through it. Null: by path (the CLI's spool beside its output).
    /// </summary>
    public SpoolFolder? Folder { get; init; }

    /// <summary>A record is a few hundred bytes.</summary>
    private const int RecordLimit = 64 * 1024;

    /// <summary>The spool folder for an output file: <c>.NAME.resshift-segments</c> beside it.</summary>
    public static string For(string outputPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outputPath))!, "." + Path.GetFileName(outputPath) + ".resshift-segments");

    public string PathOf(Segment s) => Path.Combine(Directory, s.FileName);
    private readonly string _partTag = $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..20];

    public string PartPathOf(Segment s) => Path.Combine(Directory, $"{s.FileName}.{_partTag}.part");

    /// <summary>Written when a segment of a distributed job failed for good: the other segments' workers stop spending work on it.</summary>
    public string FailedMarker => Path.Combine(Directory, "failed.txt");
    public string RecordPathOf(Segment s) => Path.Combine(Directory, s.RecordName);

    /// <summary>The record of a committed, verified segment; null when it must be (re)computed. A record pinned to another engine class throws.</summary>
    public async Task<SegmentRecord?> VerifyAsync(Segment s, string inputSha256, string settingsKey, string engine, string precision, CancellationToken cancellationToken)
    {
        SegmentRecord? r = Folder is { } f ? SegmentRecord.TryRead(() => f.Folder.ReadAllBytes(s.RecordName, RecordLimit)) : SegmentRecord.TryRead(RecordPathOf(s));
        if (r is null || r.InputSha256 != inputSha256 || r.SettingsKey != settingsKey || r.FirstFrame != s.FirstFrame || r.Frames != s.Frames || r.Index != s.Index)
            return null;
        if (r.Engine != engine || r.Precision != precision)
            throw new EngineClassMismatchException(
                $"segment {s.Index} was restored by {r.Engine} {r.Precision}; this run uses {engine} {precision}, and one video never mixes engine classes (their outputs differ): resume it on a {r.Engine} {r.Precision} engine or delete {Directory}");
        string file = PathOf(s);
        if (!File.Exists(file) || await SegmentSha256Async(s, cancellationToken).ConfigureAwait(false) != r.OutputSha256) return null;
        string json = await ChildProcess.RunAsync(tools.Ffprobe,
            ["-v", "error", "-of", "json", "-count_packets", "-show_entries", "stream=nb_read_packets", "-select_streams", "v:0", "file:" + file],
            cancellationToken).ConfigureAwait(false);
        Probing.MediaProbe probe = Probing.ProbeParser.Parse(json);
        return probe.Streams.Count == 1 && probe.Streams[0].Packets == s.Frames ? r : null;
    }

    /// <summary>The plan in this spool (through its handle when it has one); null when there is none or it is unreadable.</summary>
    public VideoPlan? ReadPlan() =>
        Folder is { } f ? VideoPlan.TryRead(() => f.Folder.ReadAllBytes(VideoPlan.FileName, VideoPlan.MaxBytes)) : VideoPlan.TryReadIn(Directory);

    /// <summary>Writes the plan atomically; with a handle, an existing plan is replaced only when <paramref name="replace"/> (two planners racing: one wins).</summary>
    /// <exception cref="Files.FileExistsException">A plan appeared meanwhile and <paramref name="replace"/> is false.</exception>
    public Task WritePlanAsync(VideoPlan plan, bool replace, CancellationToken cancellationToken) =>
        Folder is { } f
            ? f.Folder.WriteAtomicAsync(VideoPlan.FileName, (s, ct) => s.WriteAsync(plan.ToJson(), ct).AsTask(), replace, cancellationToken)
            : plan.WriteAsync(Directory, cancellationToken);

    /// <summary>Makes an encoded .part durable under its final name, then writes its record atomically (the commit point).</summary>
    public async Task<SegmentRecord> CommitAsync(Segment s, SegmentRecord record, CancellationToken cancellationToken)
    {
        string part = PartPathOf(s);
        await using (var f = new FileStream(part, FileMode.Open, FileAccess.ReadWrite)) f.Flush(flushToDisk: true);
        File.Move(part, PathOf(s), overwrite: true);
        AtomicFile.SyncDirectory(Directory);
        SegmentRecord committed = record with { OutputSha256 = await Sha256Async(PathOf(s), cancellationToken).ConfigureAwait(false) };
        await AtomicFile.WriteAsync(RecordPathOf(s), (stream, ct) => stream.WriteAsync(committed.ToJson(), ct).AsTask(), cancellationToken).ConfigureAwait(false);
        return committed;
    }

    /// <summary>The sha256 of a segment's file; null when it cannot be read (through the spool's handle: a link or a FIFO is not read).</summary>
    private async Task<string?> SegmentSha256Async(Segment s, CancellationToken cancellationToken)
    {
        if (Folder is null) return await Sha256Async(PathOf(s), cancellationToken).ConfigureAwait(false);
        try
        {
            await using Stream f = Folder.Folder.OpenReadStream(s.FileName, long.MaxValue);
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(f, cancellationToken).ConfigureAwait(false));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(f, cancellationToken).ConfigureAwait(false));
    }

    public void Delete()
    {
        if (Folder is not null)
        {
            Folder.Delete();
            return;
        }
        try
        {
            if (System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
