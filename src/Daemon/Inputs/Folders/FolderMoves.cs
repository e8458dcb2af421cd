using Microsoft.Extensions.Logging;
using ResShift.Pipeline.Files;
using ResShift.Pipeline.Jobs;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// Moves of an original (and its mask) between the root's folders, through their handles: never over a file, never
/// through a link. A move that cannot be made is logged and the file stays where it was.
/// </summary>
internal sealed class FolderMoves(WatchRoot root)
{
    private WatchLayout Layout => root.Layout;

    /// <summary>
    /// Moves the original out of processing/ under its name, or a distinct one (photo-2.png) when an earlier
    /// original of that name is already there: nothing in done/ or failed/ is ever replaced. The name it got,
    /// or null (logged; the file is still in processing/).
    /// </summary>
    public string? MoveOrReport(string rel, RootDirectory folder, string name, Func<string, string>? companion = null)
    {
        try
        {
            if (WatchLayout.MoveAside(Layout.ProcessingDir, folder, rel, companion) is { } moved)
            {
                MoveMask(rel, Layout.ProcessingDir, folder, moved);
                return moved;
            }
            root.Log.LogWarning("{Root}: {Name} vanished from processing/ before it could go to {Folder}", root.Path, rel, name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            root.Log.LogError("{Root}: could not move {Name} to {Folder}: {Message}", root.Path, rel, name, e.Message);
        }
        return null;
    }

    /// <summary>
    /// The original to review/ under the name its output and record were given (free when they were written; should a
    /// file of that name have appeared since, the next free variant, never a replaced file). Null: logged, still in processing/.
    /// </summary>
    public string? MoveToReview(string rel, string original)
    {
        try
        {
            switch (Layout.ProcessingDir.Move(rel, Layout.ReviewDir, original))
            {
                case MoveResult.Moved: return original;
                case MoveResult.TargetExists: return MoveOrReport(rel, Layout.ReviewDir, "review/");
            }
            root.Log.LogWarning("{Root}: {Name} vanished from processing/ before it could go to review/", root.Path, rel);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            root.Log.LogError("{Root}: could not move {Name} to review/: {Message}", root.Path, rel, e.Message);
        }
        return null;
    }

    /// <summary>
    /// The image's mask follows it (claim, done/, failed/, review/, back to inbox), named after where the image
    /// went (photo-2.png → photo-2.mask.png); a mask that cannot move is logged, never fatal.
    /// </summary>
    public void MoveMask(string rel, RootDirectory from, RootDirectory to, string imageThere)
    {
        if (!root.Masks) return;
        string mask = MaskNaming.MaskFor(rel);
        try
        {
            if (from.Stat(mask) is null) return;
            if (from.Move(mask, to, MaskNaming.MaskFor(imageThere)) == MoveResult.TargetExists)
                WatchLayout.MoveAside(from, to, mask);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            root.Log.LogWarning("{Root}: could not move the mask {Mask} with {Name}: {Message}", root.Path, mask, rel, e.Message);
        }
    }

    /// <summary>Back to inbox for another attempt (or a drain); never over a newer file of the same name, never through a link.</summary>
    public void HandBack(string rel)
    {
        // When it cannot go back it stays in processing/ and is resumed at start-up.
        try
        {
            MoveResult r = Layout.ProcessingDir.Move(rel, Layout.InboxDir, rel);
            if (r == MoveResult.Moved)
            {
                MoveMask(rel, Layout.ProcessingDir, Layout.InboxDir, rel);
                root.Log.LogInformation("{Root}: handed {Name} back to inbox", root.Path, rel);
            }
            else if (r == MoveResult.TargetExists)
            {
                root.Log.LogInformation("{Root}: {Name} stays in processing/ (a newer file of that name is in inbox); it is resumed at the next start", root.Path, rel);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            root.Log.LogError("{Root}: could not hand {Name} back to inbox ({Message}); it stays in processing/ and is resumed at the next start", root.Path, rel, e.Message);
        }
    }
}
