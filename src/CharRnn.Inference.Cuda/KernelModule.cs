using System.Diagnostics;
using System.Runtime.ExceptionServices;
using CharRnn.Bindings.Cuda;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// A group of kernels compiled as one NVRTC program (the kernel source's GROUP_* numbers). NVRTC compiles a program on
/// one thread, so the engine's kernels are several programs compiled at once: the first run's wait is the slowest
/// group's compile rather than the sum, about half of it for the default model's float32 kernels
/// (docs/PERFORMANCE.md#first-run-kernel-compile).
/// </summary>
internal enum KernelGroup
{
    /// <summary>lstm_run, the persistent kernel.</summary>
    Persistent = 1,
    /// <summary>The float32 many-stream kernels: lstm_gemm_large, lstm_gemm_small, fc_gemm.</summary>
    Tiled = 2,
    /// <summary>sample_batch (the engine's many-stream steps and <see cref="CudaTokenSampler"/>).</summary>
    Sampler = 3,
    /// <summary>lstm_resident1 (needs the model's RES_* defines).</summary>
    Resident1 = 4,
    /// <summary>lstm_resident1g.</summary>
    Resident1Greedy = 5,
    /// <summary>lstm_resident1s.</summary>
    Resident1Sampled = 6,
    /// <summary>lstm_resident4.</summary>
    Resident4 = 7,
    /// <summary>lstm_tensorcore.cu's mma.sync layer tiles (needs TC_OPERAND).</summary>
    TensorCoreLayers = 8,
    /// <summary>lstm_tensorcore.cu's projections, samplers and h conversions.</summary>
    TensorCoreProjections = 9,
    /// <summary>lstm_tensorcore.cu's wgmma layer tiles (sm_90a).</summary>
    TensorCoreWarpgroup = 10,
}

/// <summary>
/// One program to build: a <see cref="KernelGroup"/> of the source files (<see cref="CudaInferenceEngine.ReadKernelSource"/>),
/// for an NVRTC target (sm_XY, or sm_90a for wgmma), with extra defines.
/// </summary>
internal sealed record KernelBuild(KernelGroup Group, IReadOnlyList<string> ExtraFiles, string Architecture, IReadOnlyList<string> Defines);

/// <summary>
/// Kernel groups as loaded modules: each from the cubin cache when an entry for its source, architecture, defines, NVRTC
/// and driver exists, else compiled by NVRTC (the missing groups at the same time, a thread each) and cached. The CUDA
/// engine and <see cref="CudaTokenSampler"/> load the same source, so the sampler runs the engine's sampling code,
/// compiled from the same text.
/// </summary>
internal static class KernelModule
{
    private const string SourceName = "lstm_persistent.cu";

    /// <summary>Loads every build into <paramref name="context"/>; on failure none stays loaded.</summary>
    /// <exception cref="NvrtcException">NVRTC is missing or a group did not compile (the first failure, with its log).</exception>
    /// <exception cref="CudaException">The driver refused a module.</exception>
    public static IReadOnlyDictionary<KernelGroup, CudaModule> Load(CudaContext context, ILogger logger, IReadOnlyList<KernelBuild> builds)
    {
        // The cache key includes NVRTC's version, which is known only once NVRTC is loaded (a failure to load surfaces
        // below, from CompileToCubin, with the probe trace).
        Nvrtc.TryInitialize(out _);
        var modules = new Dictionary<KernelGroup, CudaModule>();
        try
        {
            var missing = new List<Program>();
            foreach (var program in builds.Select(Program.Of))
            {
                if (TryLoadCached(context, logger, program) is { } module)
                {
                    modules.Add(program.Build.Group, module);
                }
                else
                {
                    missing.Add(program);
                }
            }
            byte[][] cubins = Compile(missing, logger);
            for (int i = 0; i < missing.Count; i++)
            {
                modules.Add(missing[i].Build.Group, context.LoadModule(cubins[i]));
            }
            return modules;
        }
        catch
        {
            foreach (var module in modules.Values)
            {
                module.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// <paramref name="build"/>, compiled now on a thread of its own unless the cache has it, and loaded when first asked
    /// for (<see cref="DeferredKernelModule.Module"/> waits for the compile and throws its failure).
    /// </summary>
    public static DeferredKernelModule LoadWhenFirstUsed(CudaContext context, ILogger logger, KernelBuild build)
    {
        Nvrtc.TryInitialize(out _);
        var program = Program.Of(build);
        if (File.Exists(program.CachePath))
        {
            // An entry that turns out unusable is compiled then, on the caller's thread.
            return new DeferredKernelModule(null, () => TryLoadCached(context, logger, program) ?? context.LoadModule(Compile([program], logger)[0]));
        }
        var compile = Task.Factory.StartNew(() => Compile([program], logger)[0],
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        return new DeferredKernelModule(compile, () => context.LoadModule(compile.GetAwaiter().GetResult()));
    }

    private sealed record Program(KernelBuild Build, string Source, string[] Options, string CachePath)
    {
        public static Program Of(KernelBuild build)
        {
            string source = CudaInferenceEngine.ReadKernelSource(build.ExtraFiles);
            string[] options = [$"--gpu-architecture={build.Architecture}", $"-DKERNEL_GROUP={(int)build.Group}", .. build.Defines];
            string key = CubinCache.ComputeKey(source, build.Architecture, Nvrtc.Version, CudaDriver.DriverVersion, options);
            return new Program(build, source, options, Path.Combine(CubinCache.DefaultDirectory(), key + ".cubin"));
        }
    }

    private static CudaModule? TryLoadCached(CudaContext context, ILogger logger, Program program)
    {
        if (CubinCache.TryRead(program.CachePath, out byte[] cached, out string reason))
        {
            try
            {
                var module = context.LoadModule(cached);
                Log.CubinCacheHit(logger, program.CachePath);
                return module;
            }
            catch (CudaException e)
            {
                reason = e.Message;
            }
            Log.CubinCacheRebuilt(logger, program.CachePath, reason);
            CubinCache.Delete(program.CachePath);
        }
        else if (reason != "missing")
        {
            Log.CubinCacheRebuilt(logger, program.CachePath, reason);
        }
        return null;
    }

    // Compiles the programs at once, a dedicated thread each (each compile is seconds of one core's work, which would
    // starve the thread pool), and caches their cubins.
    private static byte[][] Compile(IReadOnlyList<Program> programs, ILogger logger)
    {
        var cubins = new byte[programs.Count][];
        if (programs.Count == 0)
        {
            return cubins;
        }
        var watch = Stopwatch.StartNew();
        var compiles = programs.Select((program, i) => Task.Factory.StartNew(
            () => cubins[i] = Nvrtc.CompileToCubin(program.Source, SourceName, program.Options),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        try
        {
            Task.WaitAll(compiles);
        }
        catch (AggregateException)
        {
            // The first failure in build order, as one compile would have thrown it (with its program's log).
            ExceptionDispatchInfo.Throw(compiles.First(c => c.IsFaulted).Exception!.InnerException!);
        }
        Log.KernelsCompiled(logger, string.Join(", ", programs.Select(p => $"{p.Build.Group} ({p.Build.Architecture})")), watch.ElapsedMilliseconds);
        for (int i = 0; i < programs.Count; i++)
        {
            if (!CubinCache.TryWrite(programs[i].CachePath, cubins[i], out string writeFailure))
            {
                Log.CubinCacheWriteFailed(logger, programs[i].CachePath, writeFailure);
            }
        }
        return cubins;
    }
}

/// <summary>A kernel group that compiles in the background (<see cref="KernelModule.LoadWhenFirstUsed"/>).</summary>
internal sealed class DeferredKernelModule(Task? compile, Func<CudaModule> load)
{
    private readonly Lazy<CudaModule> _module = new(load);

    /// <summary>The loaded module, after the compile if one is in flight; its owner disposes it.</summary>
    public CudaModule Module => _module.Value;

    /// <summary>
    /// Waits for a compile in flight, so that a process that ends soon after still leaves the cubin cached. Its failure
    /// is not thrown here but from <see cref="Module"/>, to whoever needs the kernel.
    /// </summary>
    public void WaitForCompile() => compile?.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing).GetAwaiter().GetResult();
}
