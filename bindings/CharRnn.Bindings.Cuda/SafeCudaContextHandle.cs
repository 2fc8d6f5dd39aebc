using System.Runtime.InteropServices;

namespace CharRnn.Bindings.Cuda;

/// <summary>A retained primary context; releasing it drops our reference (cuDevicePrimaryCtxRelease_v2).</summary>
internal sealed class SafeCudaContextHandle : SafeHandle
{
    public SafeCudaContextHandle(nint context, int device) : base(0, ownsHandle: true)
    {
        SetHandle(context);
        Device = device;
    }

    public int Device { get; }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => CudaDriverNative.cuDevicePrimaryCtxRelease(Device) == CuResult.CUDA_SUCCESS;
}
