using static CharRnn.Bindings.Cuda.CudaDriver;

namespace CharRnn.Bindings.Cuda;

/// <summary>An ordered queue of device work (non-blocking with respect to the legacy default stream). Not thread-safe.</summary>
public sealed unsafe class CudaStream : IDisposable
{
    // CU_STREAM_NON_BLOCKING
    private const uint NonBlocking = 1;

    private readonly CudaContext _context;
    private readonly SafeCudaStreamHandle _handle;

    internal CudaStream(CudaContext context)
    {
        _context = context;
        context.MakeCurrent();
        nint stream = 0;
        Check(CudaDriverNative.cuStreamCreate(&stream, NonBlocking));
        _handle = new SafeCudaStreamHandle(context.Handle, stream);
    }

    internal CudaContext Context => _context;

    internal nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>
    /// The <c>CUstream</c>, for libraries that queue their own work on it (TensorRT's <c>enqueueV3</c> takes it as a
    /// <c>cudaStream_t</c>). Valid while this object is alive; never destroy it yourself.
    /// </summary>
    public nint NativeHandle => Handle;

    /// <summary>Blocks until all work queued on the stream is done; throws if any of it failed.</summary>
    public void Synchronize()
    {
        _context.MakeCurrent();
        Check(CudaDriverNative.cuStreamSynchronize(Handle));
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
