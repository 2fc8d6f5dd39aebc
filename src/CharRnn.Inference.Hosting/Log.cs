using CharRnn.Inference.Engine;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Hosting;

/// <summary>Source-generated log messages of the hosting integration. Event ids are stable: 6000-6099.</summary>
internal static partial class Log
{
    [LoggerMessage(6000, LogLevel.Information, "CharRnn engine ready: {Model} on {Backend} ({Device}) in {Milliseconds:F0} ms")]
    public static partial void EngineReady(ILogger logger, string model, Backend backend, string device, double milliseconds);
}
