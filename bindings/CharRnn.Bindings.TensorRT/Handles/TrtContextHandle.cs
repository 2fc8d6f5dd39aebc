using System.Runtime.InteropServices;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT.Handles;

/// <summary><c>charrnn_trt_context</c>; keeps its engine alive.</summary>
internal sealed class TrtContextHandle(nint handle, SafeHandle? parent) : TrtHandle(handle, parent)
{
    protected override void Destroy(nint value) => NativeMethods.charrnn_trt_context_destroy(value);
}
