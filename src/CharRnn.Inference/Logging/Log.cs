using CharRnn.Inference.Weights;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference;

/// <summary>Source-generated log messages of the core library. Event ids are stable: 1000-1999.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Loaded {Count} tensors ({Skipped} records skipped) from {Path} ({Format})")]
    public static partial void WeightsLoaded(ILogger logger, int count, int skipped, string path, WeightFileFormat format);

    [LoggerMessage(1001, LogLevel.Information, "Model: {Dimensions}")]
    public static partial void ModelBuilt(ILogger logger, string dimensions);

    [LoggerMessage(1002, LogLevel.Information, "No vocabulary given: using sampleCharRNN's built-in {Count}-character map")]
    public static partial void UsingSampleVocabulary(ILogger logger, int count);

    [LoggerMessage(1003, LogLevel.Warning, "Tensor {Name} holds {Count} non-finite values (first at element {Index}); kept as asked")]
    public static partial void NonFiniteWeights(ILogger logger, string name, int count, int index);

    [LoggerMessage(1004, LogLevel.Debug, "Skipped record {Index} '{Name}' ({Bytes} bytes)")]
    public static partial void RecordSkipped(ILogger logger, int index, string name, long bytes);

    [LoggerMessage(1010, LogLevel.Information, "Backend {Backend} selected: {Reason}")]
    public static partial void BackendSelected(ILogger logger, Engine.Backend backend, string reason);

    // Information, not Warning: under Auto, a missing GPU backend is an expected outcome on CPU-only machines.
    [LoggerMessage(1011, LogLevel.Information, "Backend {Backend} unavailable, falling back: {Reason}")]
    public static partial void BackendFallback(ILogger logger, Engine.Backend backend, string reason);

    [LoggerMessage(1020, LogLevel.Error, "The generation scheduler stopped: a batched step failed")]
    public static partial void SchedulerFailed(ILogger logger, Exception exception);

    [LoggerMessage(1030, LogLevel.Information, "Engine pool started: {Devices} devices of {Streams} streams ({Model})")]
    public static partial void PoolStarted(ILogger logger, int devices, int streams, string model);

    [LoggerMessage(1031, LogLevel.Error, "Pool device {Device} failed; moving its {Conversations} conversations to the other devices")]
    public static partial void PoolDeviceFailed(ILogger logger, int device, int conversations, Exception exception);

    [LoggerMessage(1032, LogLevel.Information, "Pool device {Device} draining: moving its {Conversations} conversations to the other devices")]
    public static partial void PoolDeviceDraining(ILogger logger, int device, int conversations);

    [LoggerMessage(1033, LogLevel.Information, "Pool device {Device} drained and closed")]
    public static partial void PoolDeviceDrained(ILogger logger, int device);

    [LoggerMessage(1034, LogLevel.Warning, "A conversation of failed pool device {Device} continues on device {Target} ({Replayed} characters replayed, {Lost} lost)")]
    public static partial void PoolConversationRecovered(ILogger logger, int device, int target, long replayed, long lost);

    [LoggerMessage(1035, LogLevel.Error, "An engine pool event handler threw")]
    public static partial void PoolHandlerFailed(ILogger logger, Exception exception);
}
