using System.Diagnostics;
using CharRnn.Bindings.Cuda;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// The kernel source (<see cref="CudaInferenceEngine.ReadKernelSource"/>) as a loaded module: from the cubin cache when
/// an entry for this source, architecture, defines, NVRTC and driver exists, else compiled by NVRTC and cached. The CUDA
/// engine (with its model's resident-kernel defines, if any) and <see cref="CudaTokenSampler"/> (without) load the same
/// source, so the sampler runs the engine's sampling code, compiled from the same text.
/// </summary>
internal static class KernelModule
{
    private const string SourceName = "lstm_persistent.cu";

    // architecture: the NVRTC target (sm_XY, or sm_90a for wgmma); null: the device's own.
    public static CudaModule Load(CudaContext context, ILogger logger, IReadOnlyList<string> defines, IReadOnlyList<string>? extraFiles = null,
        string? architecture = null)
    {
        // The cache key includes NVRTC's version, which is known only once NVRTC is loaded (a failure to load surfaces
        // below, from CompileToCubin, with the probe trace).
        Nvrtc.TryInitialize(out _);
        string source = CudaInferenceEngine.ReadKernelSource(extraFiles ?? []);
        string arch = architecture ?? context.Device.Architecture;
        string[] options = [$"--gpu-architecture={arch}", .. defines];
        string key = CubinCache.ComputeKey(source, arch, Nvrtc.Version, CudaDriver.DriverVersion, options);
        string path = Path.Combine(CubinCache.DefaultDirectory(), key + ".cubin");
        if (CubinCache.TryRead(path, out byte[] cached, out string reason))
        {
            try
            {
                var module = context.LoadModule(cached);
                Log.CubinCacheHit(logger, path);
                return module;
            }
            catch (CudaException e)
            {
                reason = e.Message;
            }
            Log.CubinCacheRebuilt(logger, path, reason);
            CubinCache.Delete(path);
        }
        else if (reason != "missing")
        {
            Log.CubinCacheRebuilt(logger, path, reason);
        }
        var watch = Stopwatch.StartNew();
        byte[] cubin = Nvrtc.CompileToCubin(source, SourceName, options);
        Log.KernelsCompiled(logger, arch, watch.ElapsedMilliseconds);
        var loaded = context.LoadModule(cubin);
        if (!CubinCache.TryWrite(path, cubin, out string writeFailure))
        {
            Log.CubinCacheWriteFailed(logger, path, writeFailure);
        }
        return loaded;
    }
}
