using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CharRnn.Bindings.TensorRT.Interop;

/// <summary>
/// <c>charrnn_trt_dims</c>: <c>int32 nb_dims; int32 reserved; int64 d[8]</c>, 72 bytes, the layout of TensorRT's
/// <c>Dims64</c> (the shim static_asserts the same numbers; the tests check this side).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TrtDimsNative
{
    public const int MaxDims = 8;

    public int NbDims;
    public int Reserved;
    public Extents D;

    public static TrtDimsNative From(ReadOnlySpan<long> dims)
    {
        if (dims.Length > MaxDims)
        {
            throw new ArgumentException($"TensorRT tensors have at most {MaxDims} dimensions; got {dims.Length}.", nameof(dims));
        }
        var result = new TrtDimsNative { NbDims = dims.Length };
        dims.CopyTo(result.D);
        return result;
    }

    [InlineArray(MaxDims)]
    public struct Extents
    {
        private long _element0;
    }
}
