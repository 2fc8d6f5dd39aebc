using System.Runtime.InteropServices;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT.Handles;

/// <summary>
/// <c>charrnn_trt_logger</c> plus the GC handle its callback's user data points to; both are freed together, after
/// every builder and runtime using the logger (they hold references on this handle).
/// </summary>
internal sealed class TrtLoggerHandle(nint handle, GCHandle target) : TrtHandle(handle, null)
{
    protected override void Destroy(nint value)
    {
        NativeMethods.charrnn_trt_logger_destroy(value);
        target.Free();
    }
}
