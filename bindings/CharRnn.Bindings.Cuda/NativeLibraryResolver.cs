using System.Reflection;
using System.Runtime.InteropServices;

namespace CharRnn.Bindings.Cuda;

/// <summary>
/// Maps the logical library names of the [LibraryImport] declarations to the handles that
/// <see cref="CudaDriver.TryInitialize"/> and <see cref="Nvrtc.TryInitialize"/> loaded by probing versioned names.
/// Nothing is loaded here: the resolver only answers with handles already found.
/// </summary>
internal static class NativeLibraryResolver
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, nint> Handles = [];
    private static bool _installed;

    public static void Register(string logicalName, nint handle)
    {
        lock (Gate)
        {
            Handles[logicalName] = handle;
            if (!_installed)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
                _installed = true;
            }
        }
    }

    /// <summary>Tries each candidate name (and each candidate in each directory), recording every attempt.</summary>
    public static nint Probe(IEnumerable<string> names, IEnumerable<string> directories, List<string> diagnostics)
    {
        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out nint handle))
            {
                diagnostics.Add($"loaded {name}");
                return handle;
            }
            diagnostics.Add($"{name}: not found by the loader's search path");
        }
        foreach (string directory in directories)
        {
            if (string.IsNullOrEmpty(directory) || !Directory.Exists(directory))
            {
                continue;
            }
            foreach (string name in names)
            {
                string path = Path.Combine(directory, name);
                if (!File.Exists(path))
                {
                    continue;
                }
                if (NativeLibrary.TryLoad(path, out nint handle))
                {
                    diagnostics.Add($"loaded {path}");
                    return handle;
                }
                diagnostics.Add($"{path}: exists but did not load");
            }
        }
        return 0;
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        lock (Gate)
        {
            return Handles.TryGetValue(libraryName, out nint handle) ? handle : 0;
        }
    }
}
