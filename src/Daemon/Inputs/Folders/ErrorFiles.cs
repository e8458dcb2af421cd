using System.Text.Json;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Serve;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// The <c>NAME.error.json</c> beside an original in failed/ (input, kind, reason, model, time, version), and the stale
/// one of an input that was retried and now succeeded.
/// </summary>
internal sealed class ErrorFiles(WatchRoot root)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private WatchLayout Layout => root.Layout;

    /// <param name="moved">The original's name in failed/ (its error file goes beside it).</param>
    public async Task WriteAsync(string moved, string rel, string reason, string kind)
    {
        string name = WatchLayout.ErrorFile(moved);
        var doc = new Dictionary<string, object?>
        {
            ["input"] = rel, ["kind"] = kind, ["reason"] = reason, ["model"] = root.Model.Model.Id,
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"), ["software_version"] = BuildInfo.Version,
        };
        try
        {
            await Layout.FailedDir.WriteAtomicAsync(name, (s, ct) => JsonSerializer.SerializeAsync(s, doc, Indented, ct), replace: true, CancellationToken.None)
                .ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            root.Log.LogError(e, "{Root}: could not write {Path}", root.Path, Path.Combine(Layout.Failed, name));
        }
    }

    /// <summary>
    /// A retried input (moved back from failed/ to inbox by an operator) that now succeeded: its old error file, left
    /// alone in failed/ without its original, would say it failed; removed. One beside an original still there stays.
    /// </summary>
    public void RemoveStale(string rel)
    {
        try
        {
            if (Layout.FailedDir.Stat(rel) is null && Layout.FailedDir.Delete(WatchLayout.ErrorFile(rel)))
                root.Log.LogInformation("{Root}: removed the stale failed/{Error} of {Name} (restored now)", root.Path, WatchLayout.ErrorFile(rel), rel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            root.Log.LogWarning("{Root}: could not remove the stale error file of {Name}: {Message}", root.Path, rel, e.Message);
        }
    }
}
