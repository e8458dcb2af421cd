using ResShift.Pipeline.Metrics;

namespace ResShift.Daemon.Tests.Metrics;

public sealed class HistogramBucketsTests
{
    [Fact]
    public void Bounds_are_chosen_by_name()
    {
        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128], HistogramBuckets.For("resshift_batch_size"));
        var job = HistogramBuckets.For("resshift_job_duration_seconds");
        Assert.Equal(3600, job[^1]);
        var stage = HistogramBuckets.For("resshift_stage_duration_seconds");
        Assert.Equal(0.001, stage[0]);
        Assert.Equal(600, stage[^1]);
        Assert.Equal(HistogramBuckets.Default, HistogramBuckets.For("something_else"));
    }
}

public sealed class LabelValueTests
{
    [Theory]
    [InlineData("/srv/in/a.png", true)]
    [InlineData("inbox/a.png", true)]
    [InlineData(@"C:\data\a.png", true)]
    [InlineData(@"\\server\share", true)]
    [InlineData(@"a\b", false)]
    [InlineData("cuda:0", false)]
    [InlineData("tiny-x4", false)]
    public void Path_detection(string value, bool isPath) => Assert.Equal(isPath, LabelValue.LooksLikePath(value));
}
