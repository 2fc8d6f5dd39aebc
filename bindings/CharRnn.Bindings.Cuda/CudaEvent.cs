using static CharRnn.Bindings.Cuda.CudaDriver;

namespace CharRnn.Bindings.Cuda;

/// <summary>A point in a stream, for timing device work. Not thread-safe.</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private readonly CudaContext _context;
    private readonly SafeCudaEventHandle _handle;

    internal CudaEvent(CudaContext context)
    {
        _context = context;
        context.MakeCurrent();
        nint e = 0;
        Check(CudaDriverNative.cuEventCreate(&e, 0));
        _handle = new SafeCudaEventHandle(context.Handle, e);
    }

    /// <summary>Queues the event on <paramref name="stream"/>.</summary>
    public void Record(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _context.MakeCurrent();
        Check(CudaDriverNative.cuEventRecord(_handle.DangerousGetHandle(), stream.Handle));
    }

    /// <summary>Blocks until the event has happened.</summary>
    public void Synchronize()
    {
        _context.MakeCurrent();
        Check(CudaDriverNative.cuEventSynchronize(_handle.DangerousGetHandle()));
    }

    /// <summary>Milliseconds between <paramref name="start"/> and this event (both recorded and completed).</summary>
    public float ElapsedSince(CudaEvent start)
    {
        ArgumentNullException.ThrowIfNull(start);
        _context.MakeCurrent();
        float ms = 0;
        Check(CudaDriverNative.cuEventElapsedTime(&ms, start._handle.DangerousGetHandle(), _handle.DangerousGetHandle()));
        return ms;
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
