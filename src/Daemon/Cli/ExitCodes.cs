namespace ResShift.Daemon.Cli;

/// <summary>Process exit codes (product.md).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int SomeFailed = 1;
    public const int Usage = 2;

    /// <summary>Every output was written, but at least one is below the fidelity threshold (--min-psnr / --min-ssim).</summary>
    public const int BelowFidelityThreshold = 3;
}
