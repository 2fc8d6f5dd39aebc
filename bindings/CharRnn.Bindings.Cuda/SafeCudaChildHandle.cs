using System.Runtime.InteropServices;

namespace CharRnn.Bindings.Cuda;

/// <summary>
/// A driver object that lives in a context (memory, stream, module, event). It keeps the context alive until it is
/// released, and makes the context current on the releasing thread (finalizers run on their own thread).
/// </summary>
internal abstract class SafeCudaChildHandle : SafeHandle
{
    private readonly SafeCudaContextHandle _context;

    protected SafeCudaChildHandle(SafeCudaContextHandle context, nint value) : base(0, ownsHandle: true)
    {
        bool added = false;
        context.DangerousAddRef(ref added);
        _context = context;
        SetHandle(value);
    }

    public override bool IsInvalid => handle == 0;

    protected sealed override bool ReleaseHandle()
    {
        try
        {
            CudaDriverNative.cuCtxSetCurrent(_context.DangerousGetHandle());
            return Free(handle) == CuResult.CUDA_SUCCESS;
        }
        finally
        {
            _context.DangerousRelease();
        }
    }

    protected abstract CuResult Free(nint value);
}

/// <summary>Device memory from cuMemAlloc_v2.</summary>
internal sealed class SafeDeviceMemoryHandle(SafeCudaContextHandle context, nint pointer) : SafeCudaChildHandle(context, pointer)
{
    protected override CuResult Free(nint value) => CudaDriverNative.cuMemFree((ulong)value);
}

/// <summary>A stream from cuStreamCreate.</summary>
internal sealed class SafeCudaStreamHandle(SafeCudaContextHandle context, nint stream) : SafeCudaChildHandle(context, stream)
{
    protected override CuResult Free(nint value) => CudaDriverNative.cuStreamDestroy(value);
}

/// <summary>A module from cuModuleLoadData.</summary>
internal sealed class SafeCudaModuleHandle(SafeCudaContextHandle context, nint module) : SafeCudaChildHandle(context, module)
{
    protected override CuResult Free(nint value) => CudaDriverNative.cuModuleUnload(value);
}
