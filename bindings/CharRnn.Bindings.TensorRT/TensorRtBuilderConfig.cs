using CharRnn.Bindings.TensorRT.Handles;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT;

/// <summary>TensorRT's <c>IBuilderConfig</c>. Not thread-safe.</summary>
public sealed class TensorRtBuilderConfig : IDisposable
{
    internal TensorRtBuilderConfig(TrtConfigHandle handle) => Handle = handle;

    internal TrtConfigHandle Handle { get; }

    /// <summary>Allows (TensorRT's default) or forbids TF32 matrix multiplies; forbid it to match a float32 reference.</summary>
    public unsafe void SetTf32(bool enabled)
    {
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_config_set_tf32(Live(), enabled ? 1 : 0, (byte*)&error, ErrorBuffer.Size), ref error);
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();

    private nint Live()
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        return Handle.DangerousGetHandle();
    }
}
