using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CharRnn.Bindings.TensorRT.Handles;
using CharRnn.Bindings.TensorRT.Interop;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CharRnn.Bindings.TensorRT;

/// <summary>
/// TensorRT's <c>ILogger</c>, forwarded to an <see cref="ILogger"/> (event 3000). TensorRT calls it from its own
/// threads; nothing thrown by the <see cref="ILogger"/> reaches TensorRT. Builders and runtimes created with it keep
/// it alive, so disposing it early is safe.
/// </summary>
public sealed class TensorRtLogger : IDisposable
{
    /// <summary>Creates a logger that forwards messages of <paramref name="minimumSeverity"/> or worse.</summary>
    public unsafe TensorRtLogger(ILogger? logger = null, TensorRtSeverity minimumSeverity = TensorRtSeverity.Warning)
    {
        TensorRtRuntime.EnsureInitialized();
        var sink = new Sink(logger ?? NullLogger.Instance);
        var target = GCHandle.Alloc(sink);
        try
        {
            nint created;
            var error = new ErrorBuffer();
            ShimStatus.Check(NativeMethods.charrnn_trt_logger_create(&OnMessage, (void*)GCHandle.ToIntPtr(target), (int)minimumSeverity, &created, (byte*)&error, ErrorBuffer.Size), ref error);
            Handle = new TrtLoggerHandle(created, target);
        }
        catch
        {
            target.Free();
            throw;
        }
    }

    internal TrtLoggerHandle Handle { get; }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void OnMessage(int severity, byte* message, void* userData)
    {
        // An exception escaping an UnmanagedCallersOnly method ends the process: swallow everything.
        try
        {
            if (GCHandle.FromIntPtr((nint)userData).Target is Sink sink)
            {
                var level = severity switch
                {
                    0 => LogLevel.Critical,
                    1 => LogLevel.Error,
                    2 => LogLevel.Warning,
                    3 => LogLevel.Debug,
                    _ => LogLevel.Trace,
                };
                Log.TensorRtMessage(sink.Logger, level, Marshal.PtrToStringUTF8((nint)message) ?? "");
            }
        }
#pragma warning disable CA1031 // Nothing may cross back into TensorRT.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private sealed class Sink(ILogger logger)
    {
        public ILogger Logger { get; } = logger;
    }
}
