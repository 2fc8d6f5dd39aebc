using CharRnn.Inference.Engine;
using Microsoft.Extensions.Logging;

namespace CharRnn.Cli;

/// <summary>Source-generated log messages of the tool. Event ids are stable: 5000-5999.</summary>
internal static partial class CliLog
{
    [LoggerMessage(5000, LogLevel.Information, "Loading the model from {Source}")]
    public static partial void LoadingModel(ILogger logger, string source);

    [LoggerMessage(5001, LogLevel.Information, "Model ready in {Milliseconds:F1} ms: {Dimensions}")]
    public static partial void ModelReady(ILogger logger, double milliseconds, string dimensions);

    [LoggerMessage(5002, LogLevel.Information, "Engine {Backend} on {Device} built in {Milliseconds:F1} ms")]
    public static partial void EngineReady(ILogger logger, Backend backend, string device, double milliseconds);

    // Information, not Warning: without --verbose the tool's own "charrnn: cancelled" is the one line a cancel prints.
    [LoggerMessage(5003, LogLevel.Information, "Generation cancelled after {Count} characters")]
    public static partial void GenerationCancelled(ILogger logger, int count);

    [LoggerMessage(5004, LogLevel.Information, "Scored {Predictions} predictions in {Milliseconds:F1} ms")]
    public static partial void Scored(ILogger logger, long predictions, double milliseconds);

    [LoggerMessage(5005, LogLevel.Information, "Wrote {Count} tensors to {Path} ({Format}, {Bytes} bytes)")]
    public static partial void Converted(ILogger logger, int count, string path, string format, long bytes);

    [LoggerMessage(5006, LogLevel.Information, "Priming cancelled: the prime has {Length} characters")]
    public static partial void PrimeCancelled(ILogger logger, int length);
}
