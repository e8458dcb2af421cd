// The daemon tests start real processes that use every core; running them side by side would only
// make each slower and their timeouts flaky.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
