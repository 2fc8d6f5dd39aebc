using CharRnn.Bindings.TensorRT.Handles;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT;

/// <summary>
/// TensorRT's <c>IExecutionContext</c>: binds device addresses to tensors and enqueues work on a stream. Not
/// thread-safe. Tensor names are encoded once and cached, so rebinding addresses every step allocates nothing.
/// </summary>
public sealed class TensorRtExecutionContext : IDisposable
{
    private readonly Dictionary<string, byte[]> _names = new(StringComparer.Ordinal);

    internal TensorRtExecutionContext(TrtContextHandle handle) => Handle = handle;

    internal TrtContextHandle Handle { get; }

    /// <summary>
    /// Binds device memory to an input or output. The memory must stay valid until the work enqueued with it has
    /// finished; inputs and outputs must not overlap.
    /// </summary>
    public unsafe void SetTensorAddress(string name, nint deviceAddress)
    {
        var error = new ErrorBuffer();
        fixed (byte* n = Name(name))
        {
            ShimStatus.Check(NativeMethods.charrnn_trt_context_set_tensor_address(Live(), n, deviceAddress, (byte*)&error, ErrorBuffer.Size), ref error);
        }
    }

    /// <summary>Enqueues one inference on <paramref name="stream"/> (a cudaStream_t / CUstream); returns without waiting.</summary>
    public unsafe void EnqueueV3(nint stream)
    {
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_context_enqueue_v3(Live(), stream, (byte*)&error, ErrorBuffer.Size), ref error);
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();

    private byte[] Name(string name)
    {
        if (!_names.TryGetValue(name, out var utf8))
        {
            utf8 = Utf8Name.Of(name);
            _names[name] = utf8;
        }
        return utf8;
    }

    private nint Live()
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        return Handle.DangerousGetHandle();
    }
}
