using CharRnn.Bindings.TensorRT.Handles;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT;

/// <summary>TensorRT's <c>ICudaEngine</c>: a built network on one GPU. Thread-safe; contexts are not.</summary>
public sealed class TensorRtEngine : IDisposable
{
    internal TensorRtEngine(TrtEngineHandle handle) => Handle = handle;

    internal TrtEngineHandle Handle { get; }

    /// <summary>Creates an execution context (its own activation memory); one per concurrent caller.</summary>
    public unsafe TensorRtExecutionContext CreateExecutionContext()
    {
        nint created;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_context_create(Live(), &created, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtExecutionContext(new TrtContextHandle(created, Handle));
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();

    private nint Live()
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        return Handle.DangerousGetHandle();
    }
}
