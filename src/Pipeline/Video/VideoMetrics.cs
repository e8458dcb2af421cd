using Prometheus;
using ResShift.Pipeline.Metrics;

namespace ResShift.Pipeline.Video;

/// <summary>Video metrics, in the same registry as <see cref="Processing.PipelineMetrics"/>.</summary>
public static class VideoMetrics
{
    public static readonly TaggedCounter Frames = new("resshift_video_frames_total", "Video frames restored and encoded");
    public static readonly TaggedHistogram JobDuration = new("resshift_video_job_duration_seconds", "Wall time of one video job, probe to final mux",
        HistogramBuckets.For("resshift_video_job_duration_seconds"));
    public static readonly TaggedHistogram SegmentDuration = new("resshift_video_segment_duration_seconds", "Wall time to restore and encode one segment",
        HistogramBuckets.For("resshift_video_segment_duration_seconds"));

    private static readonly Gauge InFlight = MetricsRegistry.Gauge("resshift_video_jobs_inflight", "Video jobs running now");

    internal static void Enter() => InFlight.Inc();
    internal static void Exit() => InFlight.Dec();
}
