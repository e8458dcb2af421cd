using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ResShift.Daemon.Logging;

/// <summary>
/// The daemon's logging: its own lines at Information; Microsoft.* (Kestrel, routing, hosting: four lines per
/// /metrics scrape) at Warning unless the configuration's "Logging:LogLevel" section says otherwise.
/// </summary>
public static class ServeLogging
{
    public static void Configure(ILoggingBuilder logging, IConfiguration configuration, LogFormat format)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("System", LogLevel.Warning);
        // After the defaults, so an operator can still ask for request logs: "Logging": { "LogLevel": { "Microsoft.AspNetCore": "Information" } }.
        logging.AddConfiguration(configuration.GetSection("Logging"));
        logging.AddConsole(o => o.FormatterName = FormatterName(format, Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null));
        // Options only: AddJsonConsole() would also make json the formatter whatever was chosen above.
        logging.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
        });
    }

    public static string FormatterName(LogFormat format, bool underSystemd) => format switch
    {
        LogFormat.Json => ConsoleFormatterNames.Json,
        LogFormat.Systemd => ConsoleFormatterNames.Systemd,
        LogFormat.Simple => ConsoleFormatterNames.Simple,
        _ => underSystemd ? ConsoleFormatterNames.Systemd : ConsoleFormatterNames.Simple,
    };
}
