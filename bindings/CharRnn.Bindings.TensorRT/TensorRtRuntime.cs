using System.Reflection;
using System.Runtime.InteropServices;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT;

/// <summary>
/// Finds and checks TensorRT and the shim. Nothing happens until <see cref="TryInitialize"/> (or
/// <see cref="IsSupported"/>) is called: no static constructor can fail. The first call decides; later calls return
/// the same answer and trace. Thread-safe.
/// </summary>
/// <remarks>
/// Order: libnvinfer (<c>libnvinfer.so.10</c> / <c>nvinfer_10.dll</c>, then the 11 names) by the system loader and
/// under <c>TENSORRT_ROOT</c>; its <c>getInferLibVersion()</c>; the shim (<c>libcharrnn_trt.so</c>) next to the
/// application, under runtimes/&lt;rid&gt;/native and by the system loader; the shim's ABI version; the shim's
/// TensorRT headers (same major as the library, not newer); the version the shim sees (must be the library found).
/// Loading libnvinfer first means the shim's dependency on it resolves to that copy.
/// </remarks>
public static class TensorRtRuntime
{
    /// <summary>The TensorRT major versions the shim's source supports; 10 is the tested one.</summary>
    public const int SupportedMajor = 10;

    private static readonly Lock Sync = new();
    private static LoadResult? _result;
    private static nint _shim;

    /// <summary>The library names tried, in order, on this operating system.</summary>
    public static IReadOnlyList<string> InferLibraryNames { get; } = OperatingSystem.IsWindows()
        ? ["nvinfer_10.dll", "nvinfer_11.dll"]
        : ["libnvinfer.so.10", "libnvinfer.so.11"];

    /// <summary>Whether TensorRT and a matching shim load here (runs <see cref="TryInitialize"/> once).</summary>
    public static bool IsSupported => TryInitialize(out _);

    /// <summary>The loaded TensorRT's version; null until a successful <see cref="TryInitialize"/>.</summary>
    public static TensorRtVersion? LibraryVersion => _result is { Success: true } r ? r.Version : null;

    /// <summary>Warnings of a successful load (for example an untested TensorRT major version).</summary>
    public static IReadOnlyList<string> Warnings => _result?.Warnings ?? [];

    /// <summary>
    /// Loads and checks TensorRT and the shim. Returns false when anything is missing or mismatched;
    /// <paramref name="diagnostics"/> lists every attempt and check, in order, either way. Never throws.
    /// </summary>
    public static bool TryInitialize(out IReadOnlyList<string> diagnostics)
    {
        lock (Sync)
        {
            _result ??= Load();
            diagnostics = _result.Diagnostics;
            return _result.Success;
        }
    }

    /// <summary>Throws <see cref="TensorRtException"/> (status <see cref="TensorRtStatus.LoadFailure"/>) with the trace unless TensorRT is usable.</summary>
    public static void EnsureInitialized()
    {
        if (!TryInitialize(out var diagnostics))
        {
            throw new TensorRtException(TensorRtStatus.LoadFailure, "TensorRtRuntime.TryInitialize",
                $"TensorRT {SupportedMajor} is not usable here. Tried: {string.Join("; ", diagnostics)}");
        }
    }

    private static LoadResult Load()
    {
        var trace = new List<string>();
        var warnings = new List<string>();
        try
        {
            return LoadCore(trace, warnings);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or InvalidOperationException or TensorRtException)
        {
            trace.Add($"failed: {e.GetType().Name}: {e.Message}");
            return new LoadResult(false, trace, warnings, null);
        }
    }

    private static unsafe LoadResult LoadCore(List<string> trace, List<string> warnings)
    {
        nint nvinfer = 0;
        string? loadedName = null;
        foreach (string candidate in InferCandidates())
        {
            if (NativeLibrary.TryLoad(candidate, out nvinfer))
            {
                trace.Add($"{candidate}: loaded");
                loadedName = candidate;
                break;
            }
            trace.Add(Path.IsPathRooted(candidate) && File.Exists(candidate)
                ? $"{candidate}: exists but failed to load (a dependency such as the CUDA runtime is missing, or the wrong architecture)"
                : $"{candidate}: not found by the system loader (or a dependency of it is missing)");
        }
        if (loadedName is null)
        {
            trace.Add($"TensorRT not found: install TensorRT {SupportedMajor} and make {InferLibraryNames[0]} findable (LD_LIBRARY_PATH / PATH, or set TENSORRT_ROOT)");
            return new LoadResult(false, trace, warnings, null);
        }
        if (!NativeLibrary.TryGetExport(nvinfer, "getInferLibVersion", out nint versionExport))
        {
            trace.Add($"{loadedName}: no getInferLibVersion export (not a TensorRT library?)");
            return new LoadResult(false, trace, warnings, null);
        }
        var version = TensorRtVersion.FromEncoded(((delegate* unmanaged[Cdecl]<int>)versionExport)());
        trace.Add($"getInferLibVersion: {version}");
        if (version.Major < SupportedMajor)
        {
            trace.Add($"TensorRT {version} is too old: the shim needs TensorRT {SupportedMajor} (ILoop LSTM, Dims64)");
            return new LoadResult(false, trace, warnings, version);
        }
        if (version.Major > SupportedMajor)
        {
            warnings.Add($"TensorRT {version} is newer than the tested major version {SupportedMajor}; the shim must have been built against its headers");
        }

        if (!TryLoadShim(trace, out nint shim))
        {
            trace.Add("shim not found: build bindings/CharRnn.Bindings.TensorRT/native with CMake (set TENSORRT_ROOT) or reference the package that carries runtimes/<rid>/native/libcharrnn_trt.so");
            return new LoadResult(false, trace, warnings, version);
        }
        _shim = shim;
        NativeLibrary.SetDllImportResolver(typeof(TensorRtRuntime).Assembly, ResolveShim);

        int abi = NativeMethods.charrnn_trt_abi_version();
        trace.Add($"shim ABI version: {abi} (expected {NativeMethods.AbiVersion})");
        if (abi != NativeMethods.AbiVersion)
        {
            trace.Add("the shim and these bindings come from different releases: rebuild the shim from this package's native/ sources");
            return new LoadResult(false, trace, warnings, version);
        }
        var compiled = TensorRtVersion.FromEncoded(NativeMethods.charrnn_trt_compiled_version());
        trace.Add($"shim built against TensorRT headers {compiled}");
        if (compiled.Major != version.Major || compiled > version)
        {
            trace.Add($"the shim was built against TensorRT {compiled} but TensorRT {version} is loaded: TensorRT runs code built against the same major version and an equal or older minor only; rebuild the shim against TensorRT {version.Major}.{version.Minor} or older of the same major");
            return new LoadResult(false, trace, warnings, version);
        }
        int seen;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_get_infer_lib_version(&seen, (byte*)&error, ErrorBuffer.Size), ref error);
        var seenVersion = TensorRtVersion.FromEncoded(seen);
        trace.Add($"shim sees TensorRT {seenVersion}");
        if (seenVersion != version)
        {
            trace.Add($"the shim is bound to a different libnvinfer ({seenVersion}) than the one loaded ({version}): remove the other copy from the library path");
            return new LoadResult(false, trace, warnings, version);
        }
        return new LoadResult(true, trace, warnings, version);
    }

    private static IEnumerable<string> InferCandidates()
    {
        string? root = Environment.GetEnvironmentVariable("TENSORRT_ROOT");
        foreach (string name in InferLibraryNames)
        {
            yield return name;
            if (!string.IsNullOrEmpty(root))
            {
                yield return Path.Combine(root, "lib", name);
            }
        }
    }

    private static bool TryLoadShim(List<string> trace, out nint handle)
    {
        string file = OperatingSystem.IsWindows() ? "charrnn_trt.dll" : OperatingSystem.IsMacOS() ? "libcharrnn_trt.dylib" : "libcharrnn_trt.so";
        string rid = RuntimeInformation.RuntimeIdentifier;
        // AppContext.BaseDirectory, not Assembly.Location: the latter is empty in single-file applications.
        string[] paths =
        [
            Path.Combine(AppContext.BaseDirectory, file),
            Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native", file),
        ];
        foreach (string path in paths)
        {
            if (NativeLibrary.TryLoad(path, out handle))
            {
                trace.Add($"{path}: loaded");
                return true;
            }
            trace.Add($"{path}: {(File.Exists(path) ? "exists but failed to load (missing dependency or wrong architecture)" : "not found")}");
        }
        if (NativeLibrary.TryLoad(NativeMethods.Library, typeof(TensorRtRuntime).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out handle))
        {
            trace.Add($"{NativeMethods.Library}: loaded by the default probing");
            return true;
        }
        trace.Add($"{NativeMethods.Library}: not found by the default probing (deps.json native assets, system library path)");
        return false;
    }

    private static nint ResolveShim(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == NativeMethods.Library ? _shim : 0;

    private sealed record LoadResult(bool Success, IReadOnlyList<string> Diagnostics, IReadOnlyList<string> Warnings, TensorRtVersion? Version);
}
