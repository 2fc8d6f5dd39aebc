using System.Runtime.InteropServices;

namespace CharRnn.Bindings.TensorRT.Interop;

/// <summary><c>charrnn_trt_weights</c>: <c>int32 data_type; int32 reserved; const void* values; int64 count</c>, 24 bytes on 64-bit.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TrtWeightsNative
{
    public int DataType;
    public int Reserved;
    public void* Values;
    public long Count;
}
