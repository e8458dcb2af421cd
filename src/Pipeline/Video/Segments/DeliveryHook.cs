using System.Diagnostics;

namespace ResShift.Pipeline.Video.Segments;

/// <summary>
/// Test hook, honoured only when its variable is set (the test suite sets it on daemons it starts): with
/// <c>RESSHIFT_TEST_EXIT_BEFORE_DELIVERY=PATH</c>, the first distributed assembler to reach the delivery creates PATH
/// and kills its own process (SIGKILL), so a test can prove that another daemon then assembles. Later assemblers
/// find PATH and go on.
/// </summary>
internal static class DeliveryHook
{
    public const string Variable = "RESSHIFT_TEST_EXIT_BEFORE_DELIVERY";

    public static void BeforeDelivery()
    {
        string? token = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(token)) return;
        try
        {
            using (new FileStream(token, FileMode.CreateNew, FileAccess.Write)) { }
        }
        catch (IOException)
        {
            return; // another process took the one crash
        }
        Process.GetCurrentProcess().Kill();
        Environment.FailFast("test hook: exit before delivery");
    }
}
