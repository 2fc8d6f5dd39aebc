using System.Runtime.InteropServices;
using System.Text;

namespace CharRnn.Bindings.Cuda;

/// <summary>
/// The NVRTC run-time compiler. <see cref="TryInitialize"/> probes <c>libnvrtc.so.13</c> then <c>.12</c> on the
/// loader's path and in the usual CUDA directories, recording every attempt. Thread-safe.
/// </summary>
public static unsafe class Nvrtc
{
    private static readonly Lock Gate = new();
    private static bool _attempted;
    private static bool _supported;
    private static IReadOnlyList<string> _diagnostics = [];

    /// <summary>Whether NVRTC loaded (false until <see cref="TryInitialize"/> ran).</summary>
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

    /// <summary>NVRTC's version as major * 1000 + minor * 10 (as the driver reports CUDA versions); 0 when not loaded.</summary>
    public static int Version { get; private set; }

    /// <summary>Loads NVRTC once; later calls return the first outcome with its trace.</summary>
    public static bool TryInitialize(out IReadOnlyList<string> diagnostics)
    {
        lock (Gate)
        {
            if (!_attempted)
            {
                _attempted = true;
                var trace = new List<string>();
                nint handle = NativeLibraryResolver.Probe(NvrtcNative.Candidates, SearchDirectories(), trace);
                if (handle != 0)
                {
                    NativeLibraryResolver.Register(NvrtcNative.LibraryName, handle);
                    int major = 0, minor = 0;
                    if (NvrtcNative.nvrtcVersion(&major, &minor) == 0)
                    {
                        Version = major * 1000 + minor * 10;
                        trace.Add($"NVRTC {major}.{minor}");
                        _supported = true;
                    }
                    else
                    {
                        trace.Add("nvrtcVersion failed");
                    }
                }
                _diagnostics = trace;
            }
            diagnostics = _diagnostics;
            return _supported;
        }
    }

    /// <summary>
    /// Compiles CUDA C++ to a cubin for one architecture (<paramref name="options"/> must include
    /// <c>--gpu-architecture=sm_XX</c>). Throws <see cref="NvrtcException"/> with the compiler log on failure.
    /// </summary>
    public static byte[] CompileToCubin(string source, string name, IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        if (!TryInitialize(out var diagnostics))
        {
            throw new NvrtcException($"NVRTC is not available. Tried: {string.Join("; ", diagnostics)}");
        }
        byte[] src = Utf8Z(source), nameZ = Utf8Z(name);
        byte[][] opts = [.. options.Select(Utf8Z)];
        var handles = new GCHandle[opts.Length];
        var optionPointers = new byte*[opts.Length];
        nint program = 0;
        try
        {
            for (int i = 0; i < opts.Length; i++)
            {
                handles[i] = GCHandle.Alloc(opts[i], GCHandleType.Pinned);
                optionPointers[i] = (byte*)handles[i].AddrOfPinnedObject();
            }
            fixed (byte* s = src)
            fixed (byte* n = nameZ)
            {
                Check(NvrtcNative.nvrtcCreateProgram(&program, s, n, 0, null, null), "nvrtcCreateProgram", 0);
            }
            int status;
            fixed (byte** o = optionPointers)
            {
                status = NvrtcNative.nvrtcCompileProgram(program, opts.Length, o);
            }
            Check(status, $"nvrtcCompileProgram({name}, {string.Join(' ', options)})", program);
            nuint size = 0;
            Check(NvrtcNative.nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize", program);
            var cubin = new byte[(int)size];
            fixed (byte* c = cubin)
            {
                Check(NvrtcNative.nvrtcGetCUBIN(program, c), "nvrtcGetCUBIN", program);
            }
            return cubin;
        }
        finally
        {
            foreach (var h in handles)
            {
                if (h.IsAllocated)
                {
                    h.Free();
                }
            }
            if (program != 0)
            {
                NvrtcNative.nvrtcDestroyProgram(&program);
            }
        }
    }

    private static void Check(int status, string call, nint program)
    {
        if (status == 0)
        {
            return;
        }
        string name = Marshal.PtrToStringUTF8((nint)NvrtcNative.nvrtcGetErrorString(status)) ?? $"nvrtcResult {status}";
        throw new NvrtcException(status, name, call, program == 0 ? "" : ReadLog(program));
    }

    private static string ReadLog(nint program)
    {
        nuint size = 0;
        if (NvrtcNative.nvrtcGetProgramLogSize(program, &size) != 0 || size <= 1)
        {
            return "";
        }
        var log = new byte[(int)size];
        fixed (byte* l = log)
        {
            if (NvrtcNative.nvrtcGetProgramLog(program, l) != 0)
            {
                return "";
            }
        }
        return Encoding.UTF8.GetString(log, 0, log.Length - 1);
    }

    private static byte[] Utf8Z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    // Toolkit installs often keep NVRTC outside the loader's path (no ldconfig entry).
    private static IEnumerable<string> SearchDirectories()
    {
        foreach (string variable in new[] { "CUDA_PATH", "CUDA_HOME", "CUDA_ROOT" })
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } root)
            {
                yield return Path.Combine(root, "lib64");
                yield return Path.Combine(root, "lib");
                yield return Path.Combine(root, "bin");
            }
        }
        if (!OperatingSystem.IsWindows())
        {
            yield return "/usr/local/cuda/lib64";
            yield return "/usr/local/cuda/targets/x86_64-linux/lib";
            yield return "/usr/lib/x86_64-linux-gnu";
        }
    }
}
