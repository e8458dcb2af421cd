using System.Runtime.InteropServices;
using ResShift.Daemon.Http;
using ResShift.Daemon.Inputs.Folders;
using ResShift.Daemon.Serve;
using ResShift.Pipeline.Imaging;

namespace ResShift.Daemon.Configuration;

/// <summary>
/// What start-up refuses beyond <see cref="ServeSettings.Problems"/>: roots that are missing (they are never
/// created silently), not folders, not writable, `/`, or overlapping another input's root; output formats
/// that are not image formats; negative counts; HTTP addresses Kestrel could not bind.
/// </summary>
public static partial class ServeSettingsValidator
{
    public static IReadOnlyList<string> Problems(ServeSettings settings)
    {
        var p = new List<string>();
        if (settings.Threads < 0) p.Add($"Threads must be >= 0 (0 = one per core; got {settings.Threads})");
        if (settings.MaxBatchDelayMs < 0) p.Add($"MaxBatchDelayMs must be >= 0 (got {settings.MaxBatchDelayMs})");
        if (settings.StallSeconds < 1) p.Add($"StallSeconds must be >= 1 (got {settings.StallSeconds})");
        if (HttpAddress.TryParse(settings.Http, out _))
        {
            try { _ = ListenAddress.Parse(settings.Http); }
            catch (FormatException e) { p.Add(e.Message); }
        }
        if (settings.HttpToken is { } token && token.Trim().Length < 16)
            p.Add("HttpToken must be at least 16 characters (a random secret; clients send 'Authorization: Bearer TOKEN')");

        p.AddRange(settings.Video.Problems("Video defaults"));
        var watchRoots = new List<string>();
        foreach (WatchSettings w in settings.Watch)
        {
            if (string.IsNullOrWhiteSpace(w.Root)) continue; // reported by ServeSettings
            string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(w.Root));
            if (root == "/") { p.Add("watch root /: the file system root cannot be a watch root (inbox/, processing/, ... would be created in /)"); continue; }
            watchRoots.Add(root);
            if (File.Exists(root)) p.Add($"watch root {root} is a file, not a directory");
            else if (!Directory.Exists(root)) p.Add($"watch root {root} does not exist; roots are not created automatically (create it; inbox/, outbox/ and the rest are made inside)");
            else if (!Writable(root, out string why)) p.Add($"watch root {root} is not writable by this process ({why})");
            if (w.Video is { } video) p.AddRange(video.Over(settings.Video).Problems($"watch root {root}"));
            if (w.OutputFormat is { Length: > 0 } format && ImageFormats.FromPath("x." + format.TrimStart('.')) is null)
                p.Add($"watch root {root}: OutputFormat '{format}' is not an output image format (png, jpg, tif, webp; null keeps each input's format)");
        }

        foreach (var q in settings.RabbitMq)
            foreach (string r in q.Roots.Where(Path.IsPathFullyQualified))
            {
                string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(r));
                if (root == "/") { p.Add($"queue {q.Queue}: root / is the whole file system; name the folders messages may use"); continue; }
                foreach (string w in watchRoots.Where(w => Overlap(w, root)))
                    p.Add($"queue {q.Queue}: root {root} overlaps watch root {w}; a queue writing into a watch root's folders would feed or disturb it");
            }
        return p;
    }

    private static bool Overlap(string a, string b) =>
        a == b || a.StartsWith(b + "/", StringComparison.Ordinal) || b.StartsWith(a + "/", StringComparison.Ordinal);

    /// <summary>access(2) for write and search: also says no on a read-only file system, and has no side effect.</summary>
    private static bool Writable(string dir, out string why)
    {
        why = "";
        if (Access(dir, 2 | 1) == 0) return true;
        why = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        return false;
    }

    [LibraryImport("libc", EntryPoint = "access", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Access(string path, int mode);
}
