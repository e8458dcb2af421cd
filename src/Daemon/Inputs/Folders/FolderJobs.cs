using ResShift.Daemon.Inputs.Review;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Bird;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// The one place a watch root decides a job's kind (BIRD model, video input, image) and builds it: read from
/// processing/ through its handle, written to outbox/ (or review/ when held) without replacing a file. Also the
/// "already done" check of a resumed claim, for the same kinds.
/// </summary>
internal sealed class FolderJobs(WatchRoot root)
{
    /// <summary>Between an original's name and its output's extension in review/ (photo.png → photo.png.restored.png).</summary>
    public const string HeldInfix = ".restored";

    private WatchLayout Layout => root.Layout;

    /// <summary>Runs <paramref name="rel"/> (in processing/) as its kind; the outcome, never an exception from the job itself.</summary>
    public async Task<JobResult> RunAsync(string rel, Claim claim, Action progress)
    {
        JobKind kind = await JobKinds.DecideAsync(root.Model.Model, Layout.ProcessingDir, rel, claim.Token).ConfigureAwait(false);
        if (kind == JobKind.Bird)
        {
            // Through the root handles like image jobs; a name already in outbox/ gets the next free one (photo-2.png).
            BirdRestoreJob bird = root.Jobs.CreateBird(root.Model, root.Settings.BirdSettings(), BirdFiles(rel), rel, progress);
            return await JobFactory.RunBirdAsync(root.Model, bird, "folder", claim.Token).ConfigureAwait(false);
        }
        if (kind == JobKind.Video)
        {
            // Opened through processing/'s handle and read by ffmpeg through that descriptor; restored in the root's
            // spool with this root's video settings, delivered to outbox/ without replacing a file.
            return await Video.VideoJobRunner.RunInRootAsync(root.Model, root.Effective, root.Video, Layout.RootDir, Layout.ProcessingDir, rel,
                Layout.OutboxDir, "folder", root.Jobs.MaxPixels, claim.Token).ConfigureAwait(false);
        }
        // Two inputs mapping to one output (photo.jpg and photo.png as png), or a name dropped again: a distinct
        // output name (photo-2.png) rather than a replaced one; the sidecar names the input it came from.
        var files = new RootedJobFiles(Layout.ProcessingDir, rel, Layout.OutboxDir, OutputRelative(rel))
        {
            MaxInputBytes = root.Jobs.MaxInputBytes,
            Alternative = (_, n) => WatchLayout.Variant(OutputRelative(rel), n),
        };
        string mask = MaskNaming.MaskFor(rel);
        FileRestoreJob job = root.Jobs.Create(root.Model, root.Effective, files, rel, "folder", threshold: root.Settings.Fidelity, held: () => HeldFiles(rel),
            mask: root.Masks ? MaskSource.FromRoot(Layout.ProcessingDir, mask, mask, root.Jobs.MaxInputBytes) : null);
        claim.Job = job;
        return await JobFactory.RunAsync(root.Model, job, claim.Token).ConfigureAwait(false);
    }

    /// <summary>Whether a resumed claim's output and sidecar already name this input, model and settings (a crash came after they were durable).</summary>
    public async Task<bool> AlreadyDoneAsync(string rel, CancellationToken ct)
    {
        JobKind kind = await JobKinds.DecideAsync(root.Model.Model, Layout.ProcessingDir, rel, ct).ConfigureAwait(false);
        if (kind == JobKind.Bird) return BirdProvenance.Completed(BirdFiles(rel), root.Model.Model.Id, root.Settings.BirdSettings());
        var input = new RootedFile(Layout.ProcessingDir, rel);
        var key = ProvenanceKey.For(root.Model.Model.Id, root.Effective);
        return kind == JobKind.Video
            ? CompletedOutput.MatchesVideo(Layout.OutboxDir, rel, input, key)
            : CompletedOutput.Matches(new RootedFile(Layout.OutboxDir, OutputRelative(rel)), input, null, key);
    }

    /// <summary>Where <paramref name="rel"/>'s output goes first (a taken name gets a variant).</summary>
    public string OutputPath(string rel) => Path.Combine(Layout.Outbox, OutputRelative(rel));

    private string OutputRelative(string rel) =>
        root.Settings.OutputFormat is { Length: > 0 } ext ? Path.ChangeExtension(rel, ext.TrimStart('.')) : rel;

    /// <summary>A BIRD job's files: read from processing/, written through outbox/'s handle (a taken name gets photo-2.png).</summary>
    private BirdJobFiles BirdFiles(string rel) => new(Layout.ProcessingDir, rel, Layout.OutboxDir, OutputRelative(rel))
    {
        MaxInputBytes = root.Jobs.MaxInputBytes,
        Alternative = (_, n) => WatchLayout.Variant(OutputRelative(rel), n),
        Mask = root.Settings.Mask is { Length: > 0 } m ? (Layout.RootDir, m) : null,
    };

    /// <summary>The held output's files: read from processing/, written through review/'s handle (never over a file).</summary>
    private RootedJobFiles HeldFiles(string rel) => new(Layout.ProcessingDir, rel, Layout.ReviewDir, HeldRelative(rel, 1))
    {
        MaxInputBytes = root.Jobs.MaxInputBytes,
        Alternative = (_, n) => HeldRelative(rel, n),
    };

    /// <summary>
    /// A held output's name in review/, &lt;name&gt;.restored&lt;ext&gt; beside its original: the first variant of the
    /// original's name (photo.png, photo-2.png, ... from <paramref name="from"/> on) for which the original, the output,
    /// its sidecar and the record are all still free, so nothing in review/ is ever replaced.
    /// </summary>
    private string HeldRelative(string rel, int from)
    {
        string ext = Path.GetExtension(OutputRelative(rel));
        RootDirectory review = Layout.ReviewDir;
        for (int n = from; ; n++)
        {
            string original = n == 1 ? rel : WatchLayout.Variant(rel, n);
            string held = original + HeldInfix + ext;
            if (review.Stat(original) is null && review.Stat(held) is null && review.Stat(held + ProvenanceFile.Suffix) is null
                && review.Stat(original + FidelityReview.RecordSuffix) is null)
                return held;
            if (n > 10_000) throw new IOException($"{rel}: no free name in {review}");
        }
    }
}
