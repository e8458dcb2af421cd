using ResShift.Daemon.Cli;

namespace ResShift.Daemon.Tests.Restore;

/// <summary>`restore --max-job-memory` reaches the pipeline: an input over the budget fails by name, the rest are restored.</summary>
public class JobMemoryBudgetCliTests
{
    [Fact]
    public async Task AnInputOverTheBudgetFailsWithTheBudgetAndItsNameAndTheOthersAreRestored()
    {
        string input = Repo.TempDir(), output = Repo.TempDir();
        File.Copy(Repo.Parity("a_lq.png"), Path.Combine(input, "big.png"));   // 64×64: ~2.7 MB at ×4
        File.Copy(Repo.Images("tiny-2x3.png"), Path.Combine(input, "small.png")); // 2×3: ~4 KB
        var o = new StringWriter();
        int code = await ResShiftCli.RunAsync(["restore", input, "-o", output, "--max-job-memory", "1000000",
            "--model", "tiny-x4", "--models-dir", Repo.Engines, "--noise-scale", "0"], o, o);
        string log = o.ToString();

        Assert.True(code == ExitCodes.SomeFailed, log);
        Assert.Contains("big.png: image is 64×64: restoring it at ×4 needs about 2.6 MiB of memory, more than the job memory budget of 976.6 KiB (1000000 bytes, MaxJobMemoryBytes)", log);
        Assert.False(File.Exists(Path.Combine(output, "big.png")));
        Assert.True(File.Exists(Path.Combine(output, "small.png")), log);
    }
}
