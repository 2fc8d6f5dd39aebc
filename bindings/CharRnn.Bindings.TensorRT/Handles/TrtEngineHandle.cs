using System.Runtime.InteropServices;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT.Handles;

/// <summary><c>charrnn_trt_engine</c>; keeps its runtime alive.</summary>
internal sealed class TrtEngineHandle(nint handle, SafeHandle? parent) : TrtHandle(handle, parent)
{
    protected override void Destroy(nint value) => NativeMethods.charrnn_trt_engine_destroy(value);
}
