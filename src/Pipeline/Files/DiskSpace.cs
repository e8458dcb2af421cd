namespace ResShift.Pipeline.Files;

/// <summary>Whether a failure means the file system is full or over quota: the input is fine, later may succeed.</summary>
public static class DiskSpace
{
    public static bool IsFull(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (Errno.IsNoSpace(e)) return true;
        return false;
    }

    /// <summary>Whether a failure means an output folder is not writable (<see cref="OutputNotWritableException"/>): also worth waiting out.</summary>
    public static bool IsNotWritable(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is OutputNotWritableException) return true;
        return false;
    }
}
