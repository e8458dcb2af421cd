using ResShift.Daemon.Metrics;

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

    [Fact]
    public void Overrides_win_and_are_validated()
    {
        var overrides = new Dictionary<string, double[]> { ["resshift_batch_size"] = [1, 3, 9] };
        Assert.Equal([1, 3, 9], HistogramBuckets.For("resshift_batch_size", overrides));
        Assert.Throws<ArgumentException>(() => HistogramBuckets.Validate("x", [1, 1]));
        Assert.Throws<ArgumentException>(() => HistogramBuckets.Validate("x", [1, double.PositiveInfinity]));
        Assert.Throws<ArgumentException>(() => HistogramBuckets.Validate("x", []));
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 0)]   // le is inclusive
    [InlineData(1.5, 1)]
    [InlineData(2.0, 1)]
    [InlineData(99.0, 3)]  // +Inf
    public void Bucket_index_is_the_first_bound_not_below_the_value(double value, int bucket)
    {
        var f = new HistogramFamily("x", null, [1, 2, 5], 10);
        Assert.Equal(bucket, f.BucketOf(value));
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
    public void Path_detection(string value, bool isPath) => Assert.Equal(isPath, SeriesKey.LooksLikePath(value));
}
