using Microsoft.Extensions.Logging;

namespace ResShift.Daemon.Inputs;

/// <summary>
/// The only way an intake starts work it does not await: the task is observed, and anything it throws is logged
/// with what it was doing (never an unobserved task exception, never a silent stop).
/// </summary>
public static class Background
{
    public static void Run(Func<Task> work, ILogger log, string what) => _ = ObserveAsync(work, log, what);

    private static async Task ObserveAsync(Func<Task> work, ILogger log, string what)
    {
        try
        {
            await Task.Run(work).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.LogError(e, "{What}: unexpected failure: {Message}", what, e.Message);
        }
    }
}
