using System.Diagnostics.Metrics;
using ResShift.Pipeline.Processing;

namespace ResShift.Pipeline.Video;

/// <summary>Video instruments on the pipeline's meter, named with their Prometheus names like <see cref="PipelineMetrics"/>.</summary>
public static class VideoMetrics
{
    private static int _inflight;
    public static readonly Counter<long> Frames = PipelineMetrics.Meter.CreateCounter<long>("resshift_video_frames_total", description: "Video frames restored and encoded");
    public static readonly Histogram<double> JobDuration = PipelineMetrics.Meter.CreateHistogram<double>("resshift_video_job_duration_seconds", "s", "Wall time of one video job, probe to final mux");
    public static readonly Histogram<double> SegmentDuration = PipelineMetrics.Meter.CreateHistogram<double>("resshift_video_segment_duration_seconds", "s", "Wall time to restore and encode one segment");

    static VideoMetrics()
    {
        PipelineMetrics.Meter.CreateObservableGauge("resshift_video_jobs_inflight", () => Volatile.Read(ref _inflight), description: "Video jobs running now");
    }

    internal static void Enter() => Interlocked.Increment(ref _inflight);
    internal static void Exit() => Interlocked.Decrement(ref _inflight);
}
