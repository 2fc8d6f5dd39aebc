using static CharRnn.Bindings.Cuda.CudaDriver;

namespace CharRnn.Bindings.Cuda;

/// <summary>
/// A device's primary context (shared with every other user of the device in the process, as the CUDA runtime does).
/// Driver contexts are current per thread: every method makes this context current on the calling thread first.
/// Thread-safe; objects created from it keep it alive.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private readonly SafeCudaContextHandle _handle;

    private CudaContext(CudaDevice device, SafeCudaContextHandle handle)
    {
        Device = device;
        _handle = handle;
    }

    /// <summary>The device.</summary>
    public CudaDevice Device { get; }

    internal SafeCudaContextHandle Handle => _handle;

    /// <summary>Retains the primary context of <paramref name="device"/>.</summary>
    public static CudaContext RetainPrimary(CudaDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        EnsureInitialized();
        nint context = 0;
        Check(CudaDriverNative.cuDevicePrimaryCtxRetain(&context, device.Handle));
        return new CudaContext(device, new SafeCudaContextHandle(context, device.Handle));
    }

    /// <summary>Makes this context current on the calling thread.</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        Check(CudaDriverNative.cuCtxSetCurrent(_handle.DangerousGetHandle()));
    }

    /// <summary>Free and total device memory in bytes (cuMemGetInfo_v2).</summary>
    public (long Free, long Total) GetMemoryInfo()
    {
        MakeCurrent();
        nuint free = 0, total = 0;
        Check(CudaDriverNative.cuMemGetInfo(&free, &total));
        return ((long)free, (long)total);
    }

    /// <summary>Allocates <paramref name="count"/> elements of device memory (contents undefined).</summary>
    public DeviceBuffer<T> Allocate<T>(long count) where T : unmanaged => new(this, count);

    /// <summary>Creates a stream that does not synchronize with the legacy default stream.</summary>
    public CudaStream CreateStream() => new(this);

    /// <summary>Loads a module from a cubin image.</summary>
    public CudaModule LoadModule(ReadOnlySpan<byte> image) => new(this, image);

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();
}
