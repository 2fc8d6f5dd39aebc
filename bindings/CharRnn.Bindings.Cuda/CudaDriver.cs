using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CharRnn.Bindings.Cuda;

/// <summary>
/// Entry to the CUDA driver API. Nothing is loaded until <see cref="TryInitialize"/> is called (no static
/// constructor does fallible work): it probes <c>libcuda.so.1</c>, calls <c>cuInit</c> and records every attempt.
/// Thread-safe.
/// </summary>
public static unsafe class CudaDriver
{
    private static readonly Lock Gate = new();
    private static bool _attempted;
    private static bool _supported;
    private static string _failure = "";
    private static IReadOnlyList<string> _diagnostics = [];

    /// <summary>Whether the driver loaded and <c>cuInit</c> succeeded (false until <see cref="TryInitialize"/> ran).</summary>
    public static bool IsSupported
    {
        get
        {
            lock (Gate)
            {
                return _supported;
            }
        }
    }

    /// <summary>The driver's CUDA version (for example 13000 for 13.0); 0 when not initialized.</summary>
    public static int DriverVersion { get; private set; }

    /// <summary>
    /// Loads the driver library and initializes it, once; later calls return the first outcome. On failure
    /// <paramref name="diagnostics"/> lists every library tried and the failing call.
    /// </summary>
    public static bool TryInitialize(out IReadOnlyList<string> diagnostics)
    {
        lock (Gate)
        {
            if (!_attempted)
            {
                _attempted = true;
                var trace = new List<string>();
                _supported = Initialize(trace, out _failure);
                _diagnostics = trace;
            }
            diagnostics = _diagnostics;
            return _supported;
        }
    }

    /// <summary>Why <see cref="TryInitialize"/> failed, in one sentence; empty when it succeeded or did not run.</summary>
    public static string FailureReason
    {
        get
        {
            lock (Gate)
            {
                return _failure;
            }
        }
    }

    /// <summary>Throws <see cref="CudaException"/> unless <paramref name="result"/> is success; the message names the call.</summary>
    public static void Check(CuResult result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != CuResult.CUDA_SUCCESS)
        {
            throw CreateException(result, call);
        }
    }

    /// <summary>Builds the exception for a failed call (name from cuGetErrorName when the driver is loaded).</summary>
    public static CudaException CreateException(CuResult result, string call)
    {
        string name = ErrorName(result);
        string? description = null;
        if (IsSupported)
        {
            byte* text = null;
            if (CudaDriverNative.cuGetErrorString(result, &text) == CuResult.CUDA_SUCCESS && text != null)
            {
                description = Marshal.PtrToStringUTF8((nint)text);
            }
        }
        return new CudaException(result, call, name, description);
    }

    /// <summary>
    /// The status name as cuda.h spells it: the driver's own answer (cuGetErrorName) when it is loaded, else the name
    /// this library knows, else <c>CUresult n</c>.
    /// </summary>
    public static string ErrorName(CuResult result)
    {
        if (IsSupported)
        {
            byte* name = null;
            if (CudaDriverNative.cuGetErrorName(result, &name) == CuResult.CUDA_SUCCESS && name != null)
            {
                return Marshal.PtrToStringUTF8((nint)name) ?? result.ToString();
            }
        }
        return Enum.IsDefined(result) ? result.ToString() : $"CUresult {(int)result}";
    }

    /// <summary>Throws when the driver is not initialized, naming what failed.</summary>
    internal static void EnsureInitialized()
    {
        if (!TryInitialize(out var diagnostics))
        {
            throw new CudaException($"The CUDA driver is not available: {FailureReason} Tried: {string.Join("; ", diagnostics)}");
        }
    }

    private static bool Initialize(List<string> trace, out string failure)
    {
        nint handle = NativeLibraryResolver.Probe(CudaDriverNative.Candidates, [], trace);
        if (handle == 0)
        {
            failure = $"The NVIDIA driver library {CudaDriverNative.Candidates[0]} could not be loaded (is an NVIDIA driver installed?).";
            return false;
        }
        NativeLibraryResolver.Register(CudaDriverNative.LibraryName, handle);
        CuResult init;
        try
        {
            init = CudaDriverNative.cuInit(0);
        }
        catch (EntryPointNotFoundException e)
        {
            trace.Add($"cuInit: {e.Message}");
            failure = $"{CudaDriverNative.Candidates[0]} loaded but lacks cuInit.";
            return false;
        }
        if (init != CuResult.CUDA_SUCCESS)
        {
            trace.Add($"cuInit(0) returned {(Enum.IsDefined(init) ? init.ToString() : ((int)init).ToString(System.Globalization.CultureInfo.InvariantCulture))}");
            failure = init == CuResult.CUDA_ERROR_NO_DEVICE
                ? "The NVIDIA driver loaded but reports no CUDA device (CUDA_ERROR_NO_DEVICE)."
                : $"cuInit failed with {init} ({(int)init}).";
            return false;
        }
        int version = 0;
        if (CudaDriverNative.cuDriverGetVersion(&version) == CuResult.CUDA_SUCCESS)
        {
            DriverVersion = version;
            trace.Add($"cuInit ok, driver CUDA version {version / 1000}.{version % 1000 / 10}");
        }
        failure = "";
        return true;
    }
}
