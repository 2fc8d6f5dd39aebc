using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CharRnn.Inference.TensorRT.Cuda;

/// <summary>
/// Loads the CUDA driver (libcuda.so.1 / nvcuda.dll) on request, records every attempt, and checks CUresults. No
/// work in a static constructor; the first <see cref="TryInitialize"/> decides. Thread-safe.
/// </summary>
internal static class CudaDriver
{
    /// <summary>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR.</summary>
    public const int ComputeCapabilityMajor = 75, ComputeCapabilityMinor = 76;

    private static readonly Lock Sync = new();
    private static (bool Success, IReadOnlyList<string> Trace)? _result;
    private static nint _library;

    /// <summary>The driver library names tried on this operating system.</summary>
    public static IReadOnlyList<string> LibraryNames { get; } = OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1"];

    /// <summary>Loads the driver, runs cuInit and counts devices; false with the trace when any step fails.</summary>
    public static unsafe bool TryInitialize(out IReadOnlyList<string> diagnostics)
    {
        lock (Sync)
        {
            if (_result is null)
            {
                var trace = new List<string>();
                bool ok = false;
                foreach (string name in LibraryNames)
                {
                    if (NativeLibrary.TryLoad(name, out _library))
                    {
                        trace.Add($"{name}: loaded");
                        ok = true;
                        break;
                    }
                    trace.Add($"{name}: not found (no NVIDIA driver installed?)");
                }
                if (ok)
                {
                    NativeLibrary.SetDllImportResolver(typeof(CudaDriver).Assembly, Resolve);
                    int status = CudaDriverMethods.cuInit(0);
                    int count = 0;
                    if (status == 0)
                    {
                        status = CudaDriverMethods.cuDeviceGetCount(&count);
                    }
                    trace.Add(status == 0 ? $"cuInit: {count} device(s)" : $"cuInit/cuDeviceGetCount: {ErrorName(status)}");
                    ok = status == 0 && count > 0;
                }
                _result = (ok, trace);
            }
            diagnostics = _result.Value.Trace;
            return _result.Value.Success;
        }
    }

    /// <summary>Throws <see cref="CudaDriverException"/> naming the call and the CUresult unless <paramref name="status"/> is CUDA_SUCCESS.</summary>
    public static void Check(int status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status != 0)
        {
            int open = call.IndexOf('(', StringComparison.Ordinal);
            string head = open < 0 ? call : call[..open];
            throw new CudaDriverException(ErrorName(status), status, head[(head.LastIndexOf('.') + 1)..]);
        }
    }

    private static unsafe string ErrorName(int status)
    {
        byte* name = null;
        return CudaDriverMethods.cuGetErrorName(status, &name) == 0 && name != null
            ? Marshal.PtrToStringUTF8((nint)name) ?? $"CUresult {status}"
            : $"CUresult {status}";
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == CudaDriverMethods.Library ? _library : 0;
}
