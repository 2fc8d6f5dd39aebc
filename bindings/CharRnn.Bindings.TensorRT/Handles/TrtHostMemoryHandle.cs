using System.Runtime.InteropServices;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT.Handles;

/// <summary><c>charrnn_trt_host_memory</c> (a serialized plan).</summary>
internal sealed class TrtHostMemoryHandle(nint handle, SafeHandle? parent) : TrtHandle(handle, parent)
{
    protected override void Destroy(nint value) => NativeMethods.charrnn_trt_host_memory_destroy(value);
}
