using Microsoft.Extensions.Logging;

namespace CharRnn.Cli;

/// <summary>Builds the tool's logger: the console logger, every level on stderr (stdout is reserved for output).</summary>
internal static class CliLogging
{
    public static ILoggerFactory Create(bool verbose) => LoggerFactory.Create(builder => builder
        .SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning)
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
        .AddSimpleConsole(o => o.SingleLine = true));
}
