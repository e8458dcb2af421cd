namespace ResShift.Daemon.Logging;

/// <summary>How `resshift serve` writes its log lines to stdout.</summary>
public enum LogFormat
{
    /// <summary>Simple under a terminal, systemd (with syslog priority prefixes) when started by systemd (JOURNAL_STREAM set).</summary>
    Auto,

    /// <summary>Two lines per entry: level and category, then the message.</summary>
    Simple,

    /// <summary>One line per entry with a syslog priority prefix, for the journal.</summary>
    Systemd,

    /// <summary>One JSON object per line (Timestamp, EventId, LogLevel, Category, Message, State), for log shippers.</summary>
    Json,
}
