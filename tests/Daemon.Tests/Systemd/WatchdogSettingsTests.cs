using ResShift.Daemon.Systemd;

namespace ResShift.Daemon.Tests.Systemd;

public class WatchdogSettingsTests
{
    private static TimeSpan? Read(string? usec, string? pid, int ourPid = 100) =>
        WatchdogSettings.Read(name => name switch
        {
            "WATCHDOG_USEC" => usec,
            "WATCHDOG_PID" => pid,
            _ => null,
        }, ourPid);

    [Fact]
    public void IntervalComesFromWatchdogUsec() =>
        Assert.Equal(TimeSpan.FromSeconds(60), Read("60000000", null));

    [Fact]
    public void MatchingPidIsHonoured() =>
        Assert.Equal(TimeSpan.FromMilliseconds(200), Read("200000", "100"));

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0", null)]
    [InlineData("-5", null)]
    [InlineData("1.5", null)]
    [InlineData("abc", null)]
    [InlineData("200000", "101")] // inherited from a supervised parent: not ours to feed
    [InlineData("200000", "x")]
    public void NoWatchdog(string? usec, string? pid) => Assert.Null(Read(usec, pid));

    [Fact]
    public void HugeValuesMeanEffectivelyForever() =>
        Assert.Equal(TimeSpan.MaxValue, Read(ulong.MaxValue.ToString(), null));
}
