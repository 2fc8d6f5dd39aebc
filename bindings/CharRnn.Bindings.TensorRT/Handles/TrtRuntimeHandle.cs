using System.Runtime.InteropServices;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT.Handles;

/// <summary><c>charrnn_trt_runtime</c>; keeps its logger alive.</summary>
internal sealed class TrtRuntimeHandle(nint handle, SafeHandle? parent) : TrtHandle(handle, parent)
{
    protected override void Destroy(nint value) => NativeMethods.charrnn_trt_runtime_destroy(value);
}
