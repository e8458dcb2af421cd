using System.Diagnostics;

namespace ResShift.Daemon.Metrics;

/// <summary>
/// The conventional process_* families (read from /proc on Linux, skipped where /proc is absent) and a few
/// cheap dotnet_* runtime figures. Read at scrape time only: nothing runs between scrapes.
/// </summary>
internal sealed class ProcessMetrics : IMetricsCollector
{
    private readonly double _startTime;
    private readonly long _pageSize = Environment.SystemPageSize;

    public ProcessMetrics()
    {
        using var self = Process.GetCurrentProcess();
        _startTime = (self.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
    }

    public void Collect(PrometheusTextWriter w)
    {
        Gauge(w, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds", Environment.CpuUsage.TotalTime.TotalSeconds);

        if (ReadStatm() is var (virt, rss))
        {
            Gauge(w, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes", rss * _pageSize);
            Gauge(w, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes", virt * _pageSize);
        }
        if (CountOpenFds() is { } fds) Gauge(w, "process_open_fds", "gauge", "Number of open file descriptors", fds);
        if (ReadMaxFds() is { } max) Gauge(w, "process_max_fds", "gauge", "Maximum number of open file descriptors", max);
        Gauge(w, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds", _startTime);

        Gauge(w, "dotnet_gc_heap_size_bytes", "gauge", "Bytes currently allocated on the managed heap", GC.GetTotalMemory(forceFullCollection: false));
        Gauge(w, "dotnet_gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since the process started", GC.GetTotalAllocatedBytes());
        Gauge(w, "dotnet_gc_pause_seconds_total", "counter", "Time the runtime was paused for garbage collection", GC.GetTotalPauseDuration().TotalSeconds);
        w.Family("dotnet_gc_collections_total", "counter", "Garbage collections since the process started, by generation");
        for (int g = 0; g <= GC.MaxGeneration; g++) w.Sample("dotnet_gc_collections_total", "", "generation", g.ToString(System.Globalization.CultureInfo.InvariantCulture), GC.CollectionCount(g));
        Gauge(w, "dotnet_threadpool_threads", "gauge", "Thread pool threads", ThreadPool.ThreadCount);
        Gauge(w, "dotnet_threadpool_queue_length", "gauge", "Work items queued to the thread pool", ThreadPool.PendingWorkItemCount);
    }

    private static void Gauge(PrometheusTextWriter w, string name, string type, string help, double value)
    {
        w.Family(name, type, help);
        w.Sample(name, "", value);
    }

    /// <summary>/proc/self/statm: size and resident, in pages.</summary>
    private static (long Virtual, long Resident)? ReadStatm()
    {
        try
        {
            var parts = File.ReadAllText("/proc/self/statm").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return parts.Length >= 2 && long.TryParse(parts[0], out long v) && long.TryParse(parts[1], out long r) ? (v, r) : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static int? CountOpenFds()
    {
        try { return Directory.Exists("/proc/self/fd") ? Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>The soft limit from the "Max open files" row of /proc/self/limits.</summary>
    private static double? ReadMaxFds()
    {
        try
        {
            if (!File.Exists("/proc/self/limits")) return null;
            foreach (var line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
                if (soft == "unlimited") return double.PositiveInfinity;
                return double.TryParse(soft, System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : null;
            }
            return null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
