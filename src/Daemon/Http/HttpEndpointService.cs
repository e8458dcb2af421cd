using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Metrics;
using ResShift.Daemon.Status;

namespace ResShift.Daemon.Http;

/// <summary>Runs <see cref="HttpEndpoint"/> for the life of a Generic Host.</summary>
public sealed class HttpEndpointService(string address, IServiceStatus status, PrometheusExporter exporter, ILoggerFactory? loggerFactory = null, HttpAccess? access = null)
    : IHostedService, IAsyncDisposable
{
    private HttpEndpoint? _endpoint;

    public Uri? Address => _endpoint?.Address;

    public async Task StartAsync(CancellationToken cancellationToken) =>
        _endpoint = await HttpEndpoint.StartAsync(address, status, exporter, cancellationToken, loggerFactory, access).ConfigureAwait(false);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_endpoint is { } e) await e.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_endpoint is { } e) await e.DisposeAsync().ConfigureAwait(false);
    }
}

public static class HttpEndpointServiceCollectionExtensions
{
    /// <summary>
    /// Adds the metrics/health HTTP endpoint as a hosted service. Needs <see cref="IServiceStatus"/> registered;
    /// registers a <see cref="PrometheusExporter"/> singleton unless one already is.
    /// </summary>
    public static IServiceCollection AddResShiftHttpEndpoint(this IServiceCollection services, string address = ListenAddress.Default,
        Action<PrometheusExporterOptions>? configureExporter = null, HttpAccess? access = null)
    {
        services.TryAddSingleton(_ =>
        {
            var o = new PrometheusExporterOptions();
            configureExporter?.Invoke(o);
            return new PrometheusExporter(o);
        });
        services.AddSingleton(sp => new HttpEndpointService(address, sp.GetRequiredService<IServiceStatus>(),
            sp.GetRequiredService<PrometheusExporter>(), sp.GetService<ILoggerFactory>(), access));
        services.AddHostedService(sp => sp.GetRequiredService<HttpEndpointService>());
        return services;
    }
}
