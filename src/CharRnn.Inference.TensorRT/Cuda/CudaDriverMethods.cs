using System.Runtime.InteropServices;

namespace CharRnn.Inference.TensorRT.Cuda;

/// <summary>
/// The few CUDA driver API functions the TensorRT engine needs for device memory and streams, by their versioned
/// entry points. Internal and minimal on purpose: it should give way to CharRnn.Bindings.Cuda once that exists.
/// "nvcuda" is a logical name resolved by <see cref="CudaDriver"/> to libcuda.so.1 or nvcuda.dll.
/// </summary>
internal static unsafe partial class CudaDriverMethods
{
    public const string Library = "nvcuda";

    // CUresult cuInit(unsigned int Flags)
    [LibraryImport(Library)]
    public static partial int cuInit(uint flags);

    // CUresult cuDriverGetVersion(int* driverVersion)
    [LibraryImport(Library)]
    public static partial int cuDriverGetVersion(int* version);

    // CUresult cuDeviceGetCount(int* count)
    [LibraryImport(Library)]
    public static partial int cuDeviceGetCount(int* count);

    // CUresult cuDeviceGet(CUdevice* device, int ordinal)
    [LibraryImport(Library)]
    public static partial int cuDeviceGet(int* device, int ordinal);

    // CUresult cuDeviceGetName(char* name, int len, CUdevice dev)
    [LibraryImport(Library)]
    public static partial int cuDeviceGetName(byte* name, int length, int device);

    // CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev)
    [LibraryImport(Library)]
    public static partial int cuDeviceGetAttribute(int* value, int attribute, int device);

    // CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev)
    [LibraryImport(Library)]
    public static partial int cuDevicePrimaryCtxRetain(nint* context, int device);

    // CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)
    [LibraryImport(Library)]
    public static partial int cuDevicePrimaryCtxRelease_v2(int device);

    // CUresult cuCtxSetCurrent(CUcontext ctx)
    [LibraryImport(Library)]
    public static partial int cuCtxSetCurrent(nint context);

    // CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize)
    [LibraryImport(Library)]
    public static partial int cuMemAlloc_v2(ulong* pointer, nuint bytes);

    // CUresult cuMemFree_v2(CUdeviceptr dptr)
    [LibraryImport(Library)]
    public static partial int cuMemFree_v2(ulong pointer);

    // CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void* srcHost, size_t ByteCount, CUstream hStream)
    [LibraryImport(Library)]
    public static partial int cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, nint stream);

    // CUresult cuMemcpyDtoHAsync_v2(void* dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)
    [LibraryImport(Library)]
    public static partial int cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, nint stream);

    // CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream)
    [LibraryImport(Library)]
    public static partial int cuMemcpyDtoDAsync_v2(ulong destination, ulong source, nuint bytes, nint stream);

    // CUresult cuMemsetD8Async(CUdeviceptr dstDevice, unsigned char uc, size_t N, CUstream hStream)
    [LibraryImport(Library)]
    public static partial int cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);

    // CUresult cuStreamCreate(CUstream* phStream, unsigned int Flags)
    [LibraryImport(Library)]
    public static partial int cuStreamCreate(nint* stream, uint flags);

    // CUresult cuStreamDestroy_v2(CUstream hStream)
    [LibraryImport(Library)]
    public static partial int cuStreamDestroy_v2(nint stream);

    // CUresult cuStreamSynchronize(CUstream hStream)
    [LibraryImport(Library)]
    public static partial int cuStreamSynchronize(nint stream);

    // CUresult cuGetErrorName(CUresult error, const char** pStr)
    [LibraryImport(Library)]
    public static partial int cuGetErrorName(int error, byte** name);
}
