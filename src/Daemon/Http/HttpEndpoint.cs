using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Metrics;
using ResShift.Daemon.Status;

namespace ResShift.Daemon.Http;

/// <summary>
/// The daemon's own small HTTP server (Kestrel): GET /metrics, /healthz, /readyz, /v1/status.
/// Start it with <see cref="StartAsync"/>; dispose it to stop.
/// </summary>
public sealed class HttpEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _stopped;

    private HttpEndpoint(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Where it listens, with the real port when 0 was asked for (e.g. http://127.0.0.1:9464/).</summary>
    public Uri Address { get; }

    /// <summary>Binds <paramref name="address"/> and starts serving.</summary>
    /// <exception cref="HttpEndpointException">The address is invalid or cannot be bound (e.g. the port is taken).</exception>
    public static async Task<HttpEndpoint> StartAsync(string address, IServiceStatus status, PrometheusExporter exporter,
        CancellationToken cancellationToken = default, ILoggerFactory? loggerFactory = null, HttpAccess? access = null)
    {
        access ??= HttpAccess.Open;
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(exporter);
        ListenAddress listen;
        try { listen = ListenAddress.Parse(address); }
        catch (FormatException e) { throw new HttpEndpointException(e.Message, e); }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(HttpEndpoint).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        // Only the address given here counts: no ASPNETCORE_URLS, appsettings.json or Kestrel section from around the daemon.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        // The owning host handles SIGTERM and decides when this endpoint stops (it should outlive draining).
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, PassiveLifetime>();
        if (loggerFactory is not null) builder.Services.AddSingleton(access.LogRequests ? loggerFactory : new QuietRequestLoggerFactory(loggerFactory));
        builder.WebHost.UseKestrel(k =>
        {
            k.AddServerHeader = false;
            if (listen.IsLocalhost) k.ListenLocalhost(listen.Port);
            else if (listen.Ip is { } ip) k.Listen(ip, listen.Port);
            else k.ListenAnyIP(listen.Port);
        });
        var app = builder.Build();
        Map(app, status, exporter, access);

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            bool inUse = e is Microsoft.AspNetCore.Connections.AddressInUseException
                || e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException
                || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
            string why = inUse
                ? $"cannot listen on {listen}: the address is already in use (another resshift daemon, or another exporter on this port?); choose another with --http ADDR:PORT"
                : $"cannot listen on {listen}: {e.Message}";
            throw new HttpEndpointException(why, e);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (!listen.IsLoopback)
            loggerFactory?.CreateLogger<HttpEndpoint>().LogWarning(access.RequiresToken
                ? "HTTP listens on {Address}, reachable from other machines; /metrics and /v1/status require the bearer token"
                : "HTTP listens on {Address}, reachable from other machines, with no token: anyone who can reach it reads /metrics and /v1/status (set HttpToken or RESSHIFT_HTTP_TOKEN, or listen on 127.0.0.1)",
                listen);
        return new HttpEndpoint(app, BoundAddress(app, listen));
    }

    /// <summary>Stops accepting requests and waits for those in progress (bounded by <paramref name="cancellationToken"/>).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        try { await _app.StopAsync(cancellationToken).ConfigureAwait(false); }
        finally { await _app.DisposeAsync().ConfigureAwait(false); }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await StopAsync(timeout.Token).ConfigureAwait(false);
    }

    private static void Map(WebApplication app, IServiceStatus status, PrometheusExporter exporter, HttpAccess access)
    {
        app.Use(async (context, next) =>
        {
            if (access.Allows(context.Request) || context.Request.Path.Value is "/healthz" or "/readyz")
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await context.Response.WriteAsync("unauthorized: send 'Authorization: Bearer TOKEN'\n").ConfigureAwait(false);
        });
        app.MapGet("/metrics", async (HttpResponse response, CancellationToken aborted) =>
        {
            response.Headers.CacheControl = "no-store";
            response.ContentType = PrometheusExporter.ContentType;
            await exporter.WriteAsync(response.Body, aborted).ConfigureAwait(false);
        });
        app.MapGet("/healthz", () => Results.Text("ok\n", "text/plain; charset=utf-8"));
        // Probes get the status code without a token; the reason is for those who have it.
        app.MapGet("/readyz", (HttpRequest request) => status.IsReady
            ? Results.Text("ready\n", "text/plain; charset=utf-8")
            : Results.Text(access.Allows(request) ? $"not ready: {status.NotReadyReason ?? "unknown"}\n" : "not ready\n",
                "text/plain; charset=utf-8", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/v1/status", () =>
            Results.Text(JsonSerializer.Serialize(status.Snapshot(), StatusJson.Default.StatusSnapshot), "application/json; charset=utf-8"));
    }

    private static Uri BoundAddress(WebApplication app, ListenAddress listen)
    {
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (bound is not null && Uri.TryCreate(bound, UriKind.Absolute, out var uri))
        {
            // Kestrel reports "any IP" binds as http://[::]:port; callers want something they can connect to.
            string host = uri.Host is "[::]" or "0.0.0.0" ? "127.0.0.1" : uri.Host;
            return new UriBuilder("http", host, uri.Port, "/").Uri;
        }
        string fallback = listen.Ip is { } ip && !IPAddress.Any.Equals(ip) && !IPAddress.IPv6Any.Equals(ip) ? listen.ToString() : $"127.0.0.1:{listen.Port}";
        return new Uri($"http://{fallback}/");
    }
}

/// <summary>A lifetime that ignores console signals: <see cref="HttpEndpoint"/> is started and stopped by its owner.</summary>
internal sealed class PassiveLifetime : Microsoft.Extensions.Hosting.IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The HTTP endpoint could not start; the message says why in operator terms.</summary>
public sealed class HttpEndpointException(string message, Exception? inner = null) : Exception(message, inner);
