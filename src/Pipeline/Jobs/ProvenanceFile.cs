using System.Text.Json;
using ResShift.Pipeline.Files;

namespace ResShift.Pipeline.Jobs;

/// <summary>
/// Where an output's provenance sidecar is (<c>OUTPUT.resshift.json</c>) and the one way any job kind reads an existing
/// one: through the output root's handle (<see cref="RootDirectory"/>: no link followed anywhere on the way), a
/// regular file only (opened non-blocking and checked on the handle, so a FIFO or a device is refused, never waited on
/// or read), at most <see cref="MaxBytes"/> (checked before a byte is read, so a huge or sparse file costs nothing).
/// Whoever can write a root can forge a sidecar: what cannot be read so is treated as no sidecar at all.
/// </summary>
public static class ProvenanceFile
{
    public const string Suffix = ".resshift.json";

    /// <summary>
    /// 1 MiB. A sidecar is a few KB; the largest this service writes are a long video's segment table (about 200 bytes a
    /// segment) and a long BIRD run's loss curve (about 25 bytes an iteration), far below this. A larger file is not one
    /// of ours and is not read.
    /// </summary>
    public const long MaxBytes = 1L << 20;

    public static string NameFor(string output) => output + Suffix;

    /// <summary>The sidecar of <paramref name="outputRelative"/> under <paramref name="root"/>; null when there is no trustworthy one (see the class).</summary>
    public static ProvenanceRecord? TryRead(RootDirectory root, string outputRelative)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(root.ReadAllBytes(NameFor(outputRelative), MaxBytes));
            return ProvenanceRecord.From(doc.RootElement);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or ArgumentException
            or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The same for an output named by a full path whose folder the caller trusts (a path it resolved itself): the
    /// folder is opened by path, the sidecar read through it with the same rules.
    /// </summary>
    public static ProvenanceRecord? TryRead(string outputPath)
    {
        try
        {
            using RootDirectory folder = RootDirectory.Open(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
            return TryRead(folder, Path.GetFileName(outputPath));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
