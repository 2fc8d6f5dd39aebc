using System.Runtime.InteropServices;

namespace CharRnn.Bindings.Cuda;

/// <summary>
/// The CUDA driver API functions we call (cuda.h), with versioned entry points spelled out. The logical library name
/// is resolved by <see cref="NativeLibraryResolver"/> to the libcuda that <see cref="CudaDriver.TryInitialize"/> loaded.
/// </summary>
internal static unsafe partial class CudaDriverNative
{
    public const string LibraryName = "charrnn-cuda-driver";

    /// <summary>Names probed, in order: Linux soname, then the Windows DLL (listed, untested).</summary>
    public static readonly string[] Candidates = OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];

    // CUresult cuInit(unsigned int Flags);
    [LibraryImport(LibraryName, EntryPoint = "cuInit")]
    public static partial CuResult cuInit(uint flags);

    // CUresult cuDriverGetVersion(int* driverVersion);
    [LibraryImport(LibraryName, EntryPoint = "cuDriverGetVersion")]
    public static partial CuResult cuDriverGetVersion(int* version);

    // CUresult cuGetErrorName(CUresult error, const char** pStr);
    [LibraryImport(LibraryName, EntryPoint = "cuGetErrorName")]
    public static partial CuResult cuGetErrorName(CuResult error, byte** name);

    // CUresult cuGetErrorString(CUresult error, const char** pStr);
    [LibraryImport(LibraryName, EntryPoint = "cuGetErrorString")]
    public static partial CuResult cuGetErrorString(CuResult error, byte** text);

    // CUresult cuDeviceGetCount(int* count);
    [LibraryImport(LibraryName, EntryPoint = "cuDeviceGetCount")]
    public static partial CuResult cuDeviceGetCount(int* count);

    // CUresult cuDeviceGet(CUdevice* device, int ordinal);
    [LibraryImport(LibraryName, EntryPoint = "cuDeviceGet")]
    public static partial CuResult cuDeviceGet(int* device, int ordinal);

    // CUresult cuDeviceGetName(char* name, int len, CUdevice dev);
    [LibraryImport(LibraryName, EntryPoint = "cuDeviceGetName")]
    public static partial CuResult cuDeviceGetName(byte* name, int length, int device);

    // CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev);
    [LibraryImport(LibraryName, EntryPoint = "cuDeviceGetAttribute")]
    public static partial CuResult cuDeviceGetAttribute(int* value, int attribute, int device);

    // CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev);
    [LibraryImport(LibraryName, EntryPoint = "cuDeviceTotalMem_v2")]
    public static partial CuResult cuDeviceTotalMem(nuint* bytes, int device);

    // CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev);
    [LibraryImport(LibraryName, EntryPoint = "cuDevicePrimaryCtxRetain")]
    public static partial CuResult cuDevicePrimaryCtxRetain(nint* context, int device);

    // CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
    [LibraryImport(LibraryName, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    public static partial CuResult cuDevicePrimaryCtxRelease(int device);

    // CUresult cuCtxSetCurrent(CUcontext ctx);
    [LibraryImport(LibraryName, EntryPoint = "cuCtxSetCurrent")]
    public static partial CuResult cuCtxSetCurrent(nint context);

    // CUresult cuMemGetInfo_v2(size_t* free, size_t* total);
    [LibraryImport(LibraryName, EntryPoint = "cuMemGetInfo_v2")]
    public static partial CuResult cuMemGetInfo(nuint* free, nuint* total);

    // CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize);
    [LibraryImport(LibraryName, EntryPoint = "cuMemAlloc_v2")]
    public static partial CuResult cuMemAlloc(ulong* pointer, nuint bytes);

    // CUresult cuMemFree_v2(CUdeviceptr dptr);
    [LibraryImport(LibraryName, EntryPoint = "cuMemFree_v2")]
    public static partial CuResult cuMemFree(ulong pointer);

    // CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void* srcHost, size_t ByteCount, CUstream hStream);
    [LibraryImport(LibraryName, EntryPoint = "cuMemcpyHtoDAsync_v2")]
    public static partial CuResult cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);

    // CUresult cuMemcpyDtoHAsync_v2(void* dstHost, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream);
    [LibraryImport(LibraryName, EntryPoint = "cuMemcpyDtoHAsync_v2")]
    public static partial CuResult cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);

    // CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount, CUstream hStream);
    [LibraryImport(LibraryName, EntryPoint = "cuMemcpyDtoDAsync_v2")]
    public static partial CuResult cuMemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);

    // CUresult cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N, CUstream hStream);
    [LibraryImport(LibraryName, EntryPoint = "cuMemsetD32Async")]
    public static partial CuResult cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    // CUresult cuStreamCreate(CUstream* phStream, unsigned int Flags);
    [LibraryImport(LibraryName, EntryPoint = "cuStreamCreate")]
    public static partial CuResult cuStreamCreate(nint* stream, uint flags);

    // CUresult cuStreamDestroy_v2(CUstream hStream);
    [LibraryImport(LibraryName, EntryPoint = "cuStreamDestroy_v2")]
    public static partial CuResult cuStreamDestroy(nint stream);

    // CUresult cuStreamSynchronize(CUstream hStream);
    [LibraryImport(LibraryName, EntryPoint = "cuStreamSynchronize")]
    public static partial CuResult cuStreamSynchronize(nint stream);

    // CUresult cuModuleLoadData(CUmodule* module, const void* image);
    [LibraryImport(LibraryName, EntryPoint = "cuModuleLoadData")]
    public static partial CuResult cuModuleLoadData(nint* module, void* image);

    // CUresult cuModuleUnload(CUmodule hmod);
    [LibraryImport(LibraryName, EntryPoint = "cuModuleUnload")]
    public static partial CuResult cuModuleUnload(nint module);

    // CUresult cuModuleGetFunction(CUfunction* hfunc, CUmodule hmod, const char* name);
    [LibraryImport(LibraryName, EntryPoint = "cuModuleGetFunction")]
    public static partial CuResult cuModuleGetFunction(nint* function, nint module, byte* name);

    // CUresult cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value);
    [LibraryImport(LibraryName, EntryPoint = "cuFuncSetAttribute")]
    public static partial CuResult cuFuncSetAttribute(nint function, int attribute, int value);

    // CUresult cuFuncGetAttribute(int* pi, CUfunction_attribute attrib, CUfunction hfunc);
    [LibraryImport(LibraryName, EntryPoint = "cuFuncGetAttribute")]
    public static partial CuResult cuFuncGetAttribute(int* value, int attribute, nint function);

    // CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* numBlocks, CUfunction func, int blockSize, size_t dynamicSMemSize);
    [LibraryImport(LibraryName, EntryPoint = "cuOccupancyMaxActiveBlocksPerMultiprocessor")]
    public static partial CuResult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, nint function, int blockSize, nuint dynamicSharedBytes);

    // CUresult cuLaunchKernel(CUfunction f, unsigned gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
    //                         unsigned sharedMemBytes, CUstream hStream, void** kernelParams, void** extra);
    [LibraryImport(LibraryName, EntryPoint = "cuLaunchKernel")]
    public static partial CuResult cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** parameters, void** extra);

    // CUresult cuLaunchKernelEx(const CUlaunchConfig* config, CUfunction f, void** kernelParams, void** extra); CUDA 12.0+.
    [LibraryImport(LibraryName, EntryPoint = "cuLaunchKernelEx")]
    public static partial CuResult cuLaunchKernelEx(CuLaunchConfig* config, nint function, void** parameters, void** extra);

    // CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
    //                                    unsigned sharedMemBytes, CUstream hStream, void** kernelParams);
    [LibraryImport(LibraryName, EntryPoint = "cuLaunchCooperativeKernel")]
    public static partial CuResult cuLaunchCooperativeKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** parameters);
}
