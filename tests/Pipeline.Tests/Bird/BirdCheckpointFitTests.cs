using ResShift.Pipeline.Bird;

namespace ResShift.Pipeline.Tests.Bird;

/// <summary>A checkpoint is checked whole before anything is restored from it.</summary>
public sealed class BirdCheckpointFitTests
{
    [Theory]
    [InlineData("z", "z holds")]
    [InlineData("adam", "Adam m of z holds")]
    [InlineData("kernel", "holds a kernel network")]
    [InlineData("losses", "losses for")]
    public void A_checkpoint_that_does_not_fit_is_named_and_changes_nothing(string wrong, string reason)
    {
        var data = BirdParityData.Load();
        BirdInversion job = data.Job(BirdTask.Denoise);
        int n = job.Z.Length;
        // Values unlike the job's own, so a partial restore would show in z.
        BirdCheckpoint good = job.Snapshot() with { Losses = [], Z = Enumerable.Repeat(0.25f, n).ToArray() };
        Assert.Null(job.Misfit(good));
        BirdCheckpoint bad = wrong switch
        {
            "z" => good with { Z = new float[n / 2] },
            "adam" => good with { AdamZM = new float[n - 1] },
            "kernel" => good with { KernelParameters = new float[3] },
            _ => good with { Losses = [1.0] },
        };
        float[] before = [.. job.Z];
        Assert.Contains(reason, job.Misfit(bad));
        var error = Assert.Throws<InvalidDataException>(() => job.Restore(bad));
        Assert.Contains("does not fit", error.Message);
        Assert.Equal(before, job.Z);
        Assert.Equal(0, job.Iteration);
    }
}
