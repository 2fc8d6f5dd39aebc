using Microsoft.Extensions.Logging;

namespace CharRnn.Bindings.TensorRT;

/// <summary>Source-generated log messages of the TensorRT bindings. Event ids are stable: 3000-3099.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Message = "TensorRT: {Message}")]
    public static partial void TensorRtMessage(ILogger logger, LogLevel level, string message);
}
