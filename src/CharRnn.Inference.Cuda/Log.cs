using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Cuda;

/// <summary>Source-generated log messages of the CUDA backend. Event ids are stable: 2000-2099.</summary>
internal static partial class Log
{
    [LoggerMessage(2000, LogLevel.Information, "CUDA engine on {Device}: {Configuration}")]
    public static partial void EngineBuilt(ILogger logger, string device, string configuration);

    [LoggerMessage(2001, LogLevel.Debug, "Kernel cubin loaded from cache {Path}")]
    public static partial void CubinCacheHit(ILogger logger, string path);

    [LoggerMessage(2002, LogLevel.Information, "NVRTC compiled the kernel groups {Groups} in {Milliseconds} ms")]
    public static partial void KernelsCompiled(ILogger logger, string groups, long milliseconds);

    [LoggerMessage(2003, LogLevel.Warning, "Cached cubin {Path} was unusable and is rebuilt: {Reason}")]
    public static partial void CubinCacheRebuilt(ILogger logger, string path, string reason);

    [LoggerMessage(2004, LogLevel.Warning, "Could not write the cubin cache {Path}: {Reason}")]
    public static partial void CubinCacheWriteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(2005, LogLevel.Information, "Few-stream sessions run the persistent kernel, not the resident one, because {Reason}")]
    public static partial void ResidentUnavailable(ILogger logger, string reason);

    [LoggerMessage(2006, LogLevel.Debug, "Kernel {Kernel} spills {Bytes} bytes per thread to local memory; it runs, but slower than it should")]
    public static partial void ResidentSpills(ILogger logger, string kernel, int bytes);

    [LoggerMessage(2010, LogLevel.Warning, "CudaPrecision.{Precision} needs compute capability 8.0 or newer; {Device} computes in Float32 instead")]
    public static partial void TensorCoresUnsupported(ILogger logger, CudaPrecision precision, string device);
}
