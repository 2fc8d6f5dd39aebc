using System.Runtime.InteropServices;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT.Handles;

/// <summary><c>charrnn_trt_builder</c>; keeps its logger alive.</summary>
internal sealed class TrtBuilderHandle(nint handle, SafeHandle? parent) : TrtHandle(handle, parent)
{
    protected override void Destroy(nint value) => NativeMethods.charrnn_trt_builder_destroy(value);
}
