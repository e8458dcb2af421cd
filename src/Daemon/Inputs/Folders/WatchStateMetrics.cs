using ResShift.Pipeline.Metrics;

namespace ResShift.Daemon.Inputs.Folders;

/// <summary>
/// <c>resshift_watch_state_ignored_total{root, reason}</c>: files of a watch root's own state (leases in
/// <c>.owners/</c>, claim markers in <c>.claims/</c>) that were not believed, each counted once when it is first
/// found so (and again if it changes): reason link, not_regular, too_large, unreadable, malformed, too_far_ahead.
/// Labelled by the root's index in the configuration's <c>Watch</c> list, never by a path.
/// </summary>
public static class WatchStateMetrics
{
    public static readonly TaggedCounter Ignored = new("resshift_watch_state_ignored_total",
        "Lease and claim-marker files of watch roots that were ignored, by root (index in the Watch list) and reason", "root", "reason");
}
