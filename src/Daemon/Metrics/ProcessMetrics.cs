using System.Diagnostics;
using System.Globalization;
using Prometheus;

namespace ResShift.Daemon.Metrics;

/// <summary>
/// The conventional process_* families (read from /proc on Linux, left out where /proc is absent) and a few cheap
/// dotnet_* runtime figures, as prometheus-net gauges and counters set just before each scrape: nothing runs
/// between scrapes. These are the names this daemon has always exported, not prometheus-net's own default set
/// (process_working_set_bytes, dotnet_collection_count_total, ...), which stays off.
/// </summary>
internal sealed class ProcessMetrics
{
    private readonly long _pageSize = Environment.SystemPageSize;
    private readonly Counter _cpu, _allocated, _pause, _collections;
    private readonly Gauge _resident, _virtual, _openFds, _maxFds, _heap, _threads, _queue;

    private ProcessMetrics(IMetricFactory f)
    {
        _cpu = f.CreateCounter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds");
        _resident = Optional(f, "process_resident_memory_bytes", "Resident memory size in bytes");
        _virtual = Optional(f, "process_virtual_memory_bytes", "Virtual memory size in bytes");
        _openFds = Optional(f, "process_open_fds", "Number of open file descriptors");
        _maxFds = Optional(f, "process_max_fds", "Maximum number of open file descriptors");
        using (var self = Process.GetCurrentProcess())
            f.CreateGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds")
                .Set((self.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds);
        _heap = f.CreateGauge("dotnet_gc_heap_size_bytes", "Bytes currently allocated on the managed heap");
        _allocated = f.CreateCounter("dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap since the process started");
        _pause = f.CreateCounter("dotnet_gc_pause_seconds_total", "Time the runtime was paused for garbage collection");
        _collections = f.CreateCounter("dotnet_gc_collections_total", "Garbage collections since the process started, by generation", ["generation"]);
        _threads = f.CreateGauge("dotnet_threadpool_threads", "Thread pool threads");
        _queue = f.CreateGauge("dotnet_threadpool_queue_length", "Work items queued to the thread pool");
    }

    public static void Register(IMetricFactory factory, CollectorRegistry registry)
    {
        var metrics = new ProcessMetrics(factory);
        registry.AddBeforeCollectCallback(metrics.Update);
    }

    /// <summary>A gauge that appears only once it has a value (its /proc file may be missing).</summary>
    private static Gauge Optional(IMetricFactory f, string name, string help) =>
        f.CreateGauge(name, help, new GaugeConfiguration { SuppressInitialValue = true });

    private void Update()
    {
        _cpu.IncTo(Environment.CpuUsage.TotalTime.TotalSeconds);
        if (ReadStatm() is var (virt, rss))
        {
            _resident.Set(rss * _pageSize);
            _virtual.Set(virt * _pageSize);
        }
        if (CountOpenFds() is { } fds) _openFds.Set(fds);
        if (ReadMaxFds() is { } max) _maxFds.Set(max);
        _heap.Set(GC.GetTotalMemory(forceFullCollection: false));
        _allocated.IncTo(GC.GetTotalAllocatedBytes());
        _pause.IncTo(GC.GetTotalPauseDuration().TotalSeconds);
        for (int g = 0; g <= GC.MaxGeneration; g++) _collections.WithLabels(g.ToString(CultureInfo.InvariantCulture)).IncTo(GC.CollectionCount(g));
        _threads.Set(ThreadPool.ThreadCount);
        _queue.Set(ThreadPool.PendingWorkItemCount);
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
                return double.TryParse(soft, CultureInfo.InvariantCulture, out double v) ? v : null;
            }
            return null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
