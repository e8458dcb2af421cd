using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;

namespace ResShift.Daemon.Serve;

/// <summary>
/// Stops the host on SIGTERM, SIGINT and SIGQUIT and lets it drain; the process then exits 0.
/// (The default console lifetime also listens for these, but we add no console banners and keep
/// the exit code ours.)
/// </summary>
public sealed class SignalLifetime(IHostApplicationLifetime lifetime) : IHostLifetime, IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        foreach (PosixSignal s in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
            _registrations.Add(PosixSignalRegistration.Create(s, ctx =>
            {
                ctx.Cancel = true; // don't let the runtime kill us: drain instead
                lifetime.StopApplication();
            }));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
    }
}
