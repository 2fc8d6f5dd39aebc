using CharRnn.Bindings.TensorRT.Handles;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT;

/// <summary>TensorRT's <c>IRuntime</c>: turns serialized plans into engines. Thread-safe.</summary>
public sealed class TensorRtInferRuntime : IDisposable
{
    /// <summary>Creates a runtime logging to <paramref name="logger"/> (which it keeps alive).</summary>
    public unsafe TensorRtInferRuntime(TensorRtLogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ObjectDisposedException.ThrowIf(logger.Handle.IsClosed, logger);
        nint created;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_runtime_create(logger.Handle.DangerousGetHandle(), &created, (byte*)&error, ErrorBuffer.Size), ref error);
        Handle = new TrtRuntimeHandle(created, logger.Handle);
    }

    internal TrtRuntimeHandle Handle { get; }

    /// <summary>
    /// Deserializes a plan. Throws <see cref="TensorRtException"/> (<see cref="TensorRtStatus.TensorRtFailure"/>) when
    /// the plan comes from another TensorRT version or GPU, or is damaged: callers that cache plans rebuild then.
    /// </summary>
    public unsafe TensorRtEngine DeserializeEngine(ReadOnlySpan<byte> plan)
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        if (plan.IsEmpty)
        {
            throw new ArgumentException("The plan is empty.", nameof(plan));
        }
        nint created;
        var error = new ErrorBuffer();
        fixed (byte* p = plan)
        {
            ShimStatus.Check(NativeMethods.charrnn_trt_runtime_deserialize_engine(Handle.DangerousGetHandle(), p, (ulong)plan.Length, &created, (byte*)&error, ErrorBuffer.Size), ref error);
        }
        return new TensorRtEngine(new TrtEngineHandle(created, Handle));
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();
}
