namespace ResShift.Daemon.Cli;

/// <summary>Process exit codes (product.md).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int SomeFailed = 1;
    public const int Usage = 2;
}
