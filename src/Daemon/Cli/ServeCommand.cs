using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ResShift.Daemon.Configuration;
using ResShift.Daemon.Http;
using ResShift.Daemon.Logging;
using ResShift.Daemon.Metrics;
using ResShift.Daemon.Serve;
using ResShift.Daemon.Status;
using ResShift.Daemon.Systemd;
using ResShift.Pipeline.Models;

namespace ResShift.Daemon.Cli;

/// <summary>
/// <c>resshift serve [--config FILE]</c> or <c>resshift serve --watch ROOT [--model ID] [--engine E] [--http ADDR:PORT]</c>.
/// Settings come from the file, then RESSHIFT_* environment variables, then the command line.
/// </summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "JSON configuration file" };
        var watch = new Option<string[]>("--watch") { Description = "Watch root (repeatable); inbox/, processing/, done/, failed/, outbox/ are created in it", AllowMultipleArgumentsPerToken = false };
        var model = new Option<string?>("--model") { Description = "Model for --watch roots (default tiny-x4)" };
        var engine = new Option<EngineKind?>("--engine") { Description = "auto, cpu or tensorrt" };
        var http = new Option<string?>("--http") { Description = "Metrics and health address (default 127.0.0.1:9464)" };
        var logFormat = new Option<LogFormat?>("--log-format") { Description = "auto (default: systemd under systemd, else simple), simple, systemd or json (one object per line)" };
        var dir = CommonOptions.ModelsDir();
        var c = new Command("serve", "Run the daemon: watch folders, metrics and health on HTTP") { config, watch, model, engine, http, logFormat, dir };
        c.SetAction(async (parse, ct) =>
        {
            var overrides = new Dictionary<string, string?>();
            string[] roots = parse.GetValue(watch) ?? [];
            for (int i = 0; i < roots.Length; i++)
            {
                overrides[$"Watch:{i}:Root"] = roots[i];
                if (parse.GetValue(model) is { } m) overrides[$"Watch:{i}:Model"] = m;
            }
            if (parse.GetValue(engine) is { } e) overrides["Engine"] = e.ToString();
            if (parse.GetValue(http) is { } h) overrides["Http"] = h;
            if (parse.GetValue(logFormat) is { } lf) overrides["LogFormat"] = lf.ToString();
            if (parse.GetValue(dir) is { } d) overrides["ModelsDir"] = d;
            return await RunAsync(parse.GetValue(config), overrides, parse.InvocationConfiguration.Error, ct);
        });
        return c;
    }

    public static async Task<int> RunAsync(string? configFile, IDictionary<string, string?> overrides, TextWriter error, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var problems = new List<string>();
        if (configFile is not null)
        {
            if (!File.Exists(configFile)) throw new FileNotFoundException($"configuration file not found: {configFile}");
            problems.AddRange(ConfigFileCheck.Problems<ServeSettings>(configFile, "Logging"));
            if (problems.Any(p => p.Contains("invalid JSON", StringComparison.Ordinal))) return Refuse(problems, error);
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }
        builder.Configuration.AddEnvironmentVariables("RESSHIFT_");
        if (Environment.GetEnvironmentVariable("RESSHIFT_HTTP_TOKEN") is { Length: > 0 } token) builder.Configuration["HttpToken"] = token;
        builder.Configuration.AddInMemoryCollection(overrides);
        var settings = new ServeSettings();
        try { builder.Configuration.Bind(settings); }
        catch (InvalidOperationException e)
        {
            // A value of the wrong type (named above for the file; the binder's words for the environment).
            if (problems.Count == 0) problems.Add(e.InnerException?.Message is { } inner ? $"{e.Message} ({inner})" : e.Message);
            return Refuse(problems, error);
        }

        ModelRegistry registry = ModelRegistry.Discover(settings.ModelsDir);
        problems.AddRange(settings.Problems(registry));
        problems.AddRange(ServeSettingsValidator.Problems(settings));
        if (problems.Count > 0)
        {
            foreach (string p in problems) error.WriteLine($"resshift serve: {p}");
            return ExitCodes.Usage;
        }

        ServeLogging.Configure(builder.Logging, builder.Configuration, settings.LogFormat);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(settings.DrainSeconds + 30));
        // The exporter only sees measurements made after it exists: create it before anything records.
        var exporter = new PrometheusExporter(new PrometheusExporterOptions { Version = BuildInfo.Version });
        builder.Services.AddSingleton(exporter);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton<ServiceState>();
        builder.Services.AddSingleton<IServiceStatus>(sp => sp.GetRequiredService<ServiceState>());
        builder.Services.AddSingleton(sp => SystemdNotifier.FromEnvironment(sp.GetService<ILogger<SystemdNotifier>>()));
        // Hosted services start in this order and stop in reverse: HTTP answers (503) through the whole drain.
        builder.Services.AddResShiftHttpEndpoint(settings.Http, access: new HttpAccess(settings.HttpToken, LogRequests: true) /* the Logging section decides (Microsoft.* at Warning by default) */);
        builder.Services.AddSingleton<ServeService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ServeService>());
        builder.Services.AddSingleton<IHostLifetime, SignalLifetime>();

        using IHost host = builder.Build();
        try
        {
            await host.RunAsync(ct).ConfigureAwait(false);
        }
        catch (HttpEndpointException e)
        {
            error.WriteLine($"resshift serve: {e.Message}");
            return ExitCodes.SomeFailed;
        }
        return ExitCodes.Success;
    }

    private static int Refuse(IEnumerable<string> problems, TextWriter error)
    {
        foreach (string p in problems) error.WriteLine($"resshift serve: {p}");
        return ExitCodes.Usage;
    }
}
