using System.Diagnostics;
using ResShift.Daemon.Tests.Restore;

namespace ResShift.Daemon.Tests.RabbitMq;

/// <summary>The suite's private broker (scripts/rabbitmq-test-server.sh) listens on loopback only: AMQP, Erlang distribution and epmd.</summary>
public sealed class BrokerScriptTests
{
    [Fact]
    public async Task Every_socket_the_test_broker_and_its_epmd_listen_on_is_loopback()
    {
        await using var broker = await TestBroker.ConnectAsync();
        string state = Path.GetDirectoryName(TestBroker.UriFile)!;
        string beam = File.ReadAllText(Path.Combine(state, "rabbit.pid")).Trim();
        string epmd = File.ReadAllText(Path.Combine(state, "epmd.pid")).Trim();
        Assert.NotEmpty(epmd); // recorded at start so that stop ends it

        var psi = new ProcessStartInfo("ss", ["-ltnpH"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var ss = Process.Start(psi)!;
        string listing = ss.StandardOutput.ReadToEnd();
        Assert.True(ss.WaitForExit(10_000));
        foreach (string pid in new[] { beam, epmd })
        {
            string[] sockets = listing.Split('\n').Where(l => l.Contains($"pid={pid},", StringComparison.Ordinal)).ToArray();
            Assert.True(sockets.Length >= (pid == beam ? 2 : 1), $"pid {pid} listens on {sockets.Length} sockets:\n{listing}");
            foreach (string line in sockets)
            {
                string local = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
                Assert.True(local.StartsWith("127.0.0.1:", StringComparison.Ordinal) || local.StartsWith("[::1]:", StringComparison.Ordinal),
                    $"pid {pid} listens on {local}:\n{line}");
            }
        }
    }
}
