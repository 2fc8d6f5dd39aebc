using System.Text;

namespace CharRnn.Inference.TensorRT.Cuda;

/// <summary>
/// Device 0's primary context, retained for the engine's lifetime. TensorRT works in the runtime API's context,
/// which is the primary context, so driver-API memory and streams made current here are usable by TensorRT.
/// </summary>
internal sealed class CudaDevice : IDisposable
{
    private readonly int _device;
    private bool _disposed;

    public unsafe CudaDevice(int ordinal)
    {
        Ordinal = ordinal;
        int device;
        CudaDriver.Check(CudaDriverMethods.cuDeviceGet(&device, ordinal));
        _device = device;
        nint context;
        CudaDriver.Check(CudaDriverMethods.cuDevicePrimaryCtxRetain(&context, device));
        Context = context;
        MakeCurrent();
        int major, minor;
        CudaDriver.Check(CudaDriverMethods.cuDeviceGetAttribute(&major, CudaDriver.ComputeCapabilityMajor, device));
        CudaDriver.Check(CudaDriverMethods.cuDeviceGetAttribute(&minor, CudaDriver.ComputeCapabilityMinor, device));
        ComputeCapability = $"{major}.{minor}";
        var name = stackalloc byte[256];
        CudaDriver.Check(CudaDriverMethods.cuDeviceGetName(name, 256, device));
        Name = Encoding.UTF8.GetString(name, IndexOfNul(name));
    }

    public nint Context { get; }

    public int Ordinal { get; }

    /// <summary>"major.minor"; part of every plan's cache key (plans are tied to it).</summary>
    public string ComputeCapability { get; }

    public string Name { get; }

    /// <summary>Makes the primary context current on the calling thread (sessions may move between threads).</summary>
    public void MakeCurrent() => CudaDriver.Check(CudaDriverMethods.cuCtxSetCurrent(Context));

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _ = CudaDriverMethods.cuDevicePrimaryCtxRelease_v2(_device);
        }
    }

    private static unsafe int IndexOfNul(byte* text)
    {
        int n = 0;
        while (n < 256 && text[n] != 0)
        {
            n++;
        }
        return n;
    }
}
