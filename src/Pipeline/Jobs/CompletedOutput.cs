using ResShift.Pipeline.Files;

namespace ResShift.Pipeline.Jobs;

/// <summary>A file inside a root, read only through the root's handle, within a size limit.</summary>
public readonly record struct RootedFile(RootDirectory Root, string Relative, long MaxBytes = long.MaxValue)
{
    /// <summary>sha256 of its bytes, read through the handle (never by path).</summary>
    public ContentKey Hash() => ContentKey.OfFile(Root, Relative, MaxBytes);
}

/// <summary>
/// The one "already done" rule of every job kind and intake: an output on disk is already the result of a job when it
/// is a regular file and its provenance sidecar (read by <see cref="ProvenanceFile"/>: through the root's handle,
/// regular files only, size-limited) records the same <see cref="ProvenanceKey"/> and the same input (and mask) bytes,
/// the input hashed through its own handle. Only then may a folder resume skip the work or a redelivery be acked
/// unrecomputed. A sidecar that is missing, a link, a FIFO, a device, too large or not ours counts as no sidecar: the
/// job then follows the rules for an existing output (a queue refuses it, a watch root takes a free name). The
/// sidecar is made visible before its output, so the output's presence says the pair is complete.
/// </summary>
public static class CompletedOutput
{
    public static bool Matches(RootedFile output, RootedFile input, RootedFile? mask, ProvenanceKey key)
    {
        try
        {
            if (output.Root.Stat(output.Relative) is not { Kind: FileKind.Regular }) return false;
            if (ProvenanceFile.TryRead(output.Root, output.Relative) is not { } record || record.Key != key) return false;
            if (mask is { } m)
            {
                if (record.MaskSha256 is null || m.Hash().Sha256 != record.MaskSha256) return false;
            }
            else if (record.MaskSha256 is not null) return false;
            // Last: the only step that reads more than a few KB.
            return record.InputSha256 is { } sha && input.Hash().Sha256 == sha;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // An input gone, swapped for a link or grown past its limit: not proof; the job itself reports it.
            return false;
        }
    }

    /// <summary>
    /// A video's rule: its output is <c>STEM.mkv</c>, or <c>STEM</c> in the input's own container (a root with
    /// <c>Container: same</c>); the first of these whose sidecar matches counts. A delivery that had to take the next
    /// free name (clip-2.mkv) is not looked for: the worst case is the video restored again under another name.
    /// </summary>
    public static bool MatchesVideo(RootDirectory outbox, string relative, RootedFile input, ProvenanceKey key) =>
        VideoOutputNames(relative).Any(name => Matches(new RootedFile(outbox, name), input, null, key));

    /// <summary>The output's sidecar is one this service wrote: replacing the output loses nothing a user made.</summary>
    public static bool WrittenByUs(RootDirectory root, string outputRelative) =>
        ProvenanceFile.TryRead(root, outputRelative) is { WrittenByUs: true };

    /// <summary>
    /// A distributed video's delivery: the output is a regular file whose sidecar names <paramref name="planId"/> and,
    /// when <paramref name="checkBytes"/>, whose bytes (read through the handle) are those the sidecar records.
    /// </summary>
    public static bool Delivered(RootedFile output, string planId, bool checkBytes = true)
    {
        try
        {
            if (output.Root.Stat(output.Relative) is not { Kind: FileKind.Regular }) return false;
            if (ProvenanceFile.TryRead(output.Root, output.Relative) is not { } record || record.PlanId != planId) return false;
            return !checkBytes || (record.OutputSha256 is { } sha && output.Hash().Sha256 == sha);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary><see cref="Delivered(RootedFile, string, bool)"/> for an output named by a path whose folder the caller resolved itself.</summary>
    public static bool Delivered(string outputPath, string planId, bool checkBytes = true)
    {
        try
        {
            using RootDirectory folder = RootDirectory.Open(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
            return Delivered(new RootedFile(folder, Path.GetFileName(outputPath)), planId, checkBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static IEnumerable<string> VideoOutputNames(string relative)
    {
        string mkv = Path.ChangeExtension(relative, ".mkv");
        yield return mkv;
        if (!string.Equals(relative, mkv, StringComparison.Ordinal)) yield return relative;
    }
}
