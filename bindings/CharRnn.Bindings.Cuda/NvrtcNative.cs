using System.Runtime.InteropServices;

namespace CharRnn.Bindings.Cuda;

/// <summary>The NVRTC functions we call (nvrtc.h), resolved to the library <see cref="Nvrtc.TryInitialize"/> loaded.</summary>
internal static unsafe partial class NvrtcNative
{
    public const string LibraryName = "charrnn-nvrtc";

    /// <summary>Names probed, newest first: CUDA 13 then 12 (Windows names listed, untested).</summary>
    public static readonly string[] Candidates = OperatingSystem.IsWindows()
        ? ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll"]
        : ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"];

    // const char* nvrtcGetErrorString(nvrtcResult result);
    [LibraryImport(LibraryName, EntryPoint = "nvrtcGetErrorString")]
    public static partial byte* nvrtcGetErrorString(int result);

    // nvrtcResult nvrtcVersion(int* major, int* minor);
    [LibraryImport(LibraryName, EntryPoint = "nvrtcVersion")]
    public static partial int nvrtcVersion(int* major, int* minor);

    // nvrtcResult nvrtcCreateProgram(nvrtcProgram* prog, const char* src, const char* name, int numHeaders,
    //                                const char* const* headers, const char* const* includeNames);
    [LibraryImport(LibraryName, EntryPoint = "nvrtcCreateProgram")]
    public static partial int nvrtcCreateProgram(nint* program, byte* source, byte* name, int headerCount, byte** headers, byte** includeNames);

    // nvrtcResult nvrtcDestroyProgram(nvrtcProgram* prog);
    [LibraryImport(LibraryName, EntryPoint = "nvrtcDestroyProgram")]
    public static partial int nvrtcDestroyProgram(nint* program);

    // nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char* const* options);
    [LibraryImport(LibraryName, EntryPoint = "nvrtcCompileProgram")]
    public static partial int nvrtcCompileProgram(nint program, int optionCount, byte** options);

    // nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t* logSizeRet);
    [LibraryImport(LibraryName, EntryPoint = "nvrtcGetProgramLogSize")]
    public static partial int nvrtcGetProgramLogSize(nint program, nuint* size);

    // nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, char* log);
    [LibraryImport(LibraryName, EntryPoint = "nvrtcGetProgramLog")]
    public static partial int nvrtcGetProgramLog(nint program, byte* log);

    // nvrtcResult nvrtcGetCUBINSize(nvrtcProgram prog, size_t* cubinSizeRet);
    [LibraryImport(LibraryName, EntryPoint = "nvrtcGetCUBINSize")]
    public static partial int nvrtcGetCUBINSize(nint program, nuint* size);

    // nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, char* cubin);
    [LibraryImport(LibraryName, EntryPoint = "nvrtcGetCUBIN")]
    public static partial int nvrtcGetCUBIN(nint program, byte* cubin);
}
