using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.TensorRT;

/// <summary>Source-generated log messages of the TensorRT engine. Event ids are stable: 3100-3199.</summary>
internal static partial class Log
{
    [LoggerMessage(3100, LogLevel.Information, "TensorRT plan for {Streams} stream(s) loaded from the cache: {Path}")]
    public static partial void PlanLoaded(ILogger logger, int streams, string path);

    [LoggerMessage(3101, LogLevel.Warning, "Cached TensorRT plan {Path} was refused ({Reason}); rebuilding it")]
    public static partial void PlanRejected(ILogger logger, string path, string reason);

    [LoggerMessage(3102, LogLevel.Information, "TensorRT plan for {Streams} stream(s) built in {Milliseconds} ms ({Bytes} bytes)")]
    public static partial void PlanBuilt(ILogger logger, int streams, long milliseconds, int bytes);

    [LoggerMessage(3103, LogLevel.Warning, "Could not write the TensorRT plan cache {Path}: {Reason}")]
    public static partial void PlanCacheWriteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(3104, LogLevel.Warning, "TensorRT: {Warning}")]
    public static partial void LoadWarning(ILogger logger, string warning);
}
