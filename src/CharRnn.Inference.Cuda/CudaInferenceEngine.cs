using CharRnn.Bindings.Cuda;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// The CUDA engine: the weights live in device memory, and one persistent cooperative kernel runs a whole Feed or
/// Generate call (every step, every layer, the output projection and the sampling) without returning to the host.
/// Kernels are compiled by NVRTC for the device's architecture when the engine is built and cached on disk.
/// Sessions of a few streams of a model that fits on chip run the resident kernel instead (<see cref="ResidentLayout"/>:
/// weights in registers, no grid barrier); sessions of many streams run a few tiled matrix-matrix launches per step
/// (<see cref="BatchWeights"/>).
/// Immutable and thread-safe: share it and give each thread its own session or generator. Kernel launches of all
/// sessions of one engine are serialized (each launch occupies the whole device).
/// </summary>
public sealed class CudaInferenceEngine : InferenceEngine
{
    internal const int BlockThreads = 256;
    internal const int Warps = BlockThreads / 32;
    // Sampling is repeated by every block (saving one grid barrier per step) up to this many streams.
    internal const int RedundantSamplingStreams = Warps;
    private const string KernelName = "lstm_run";
    // Threads and dynamic shared memory of the many-stream kernels (their templates in the kernel source): the large
    // tile is 128 x 128 at 8 x 8 per thread; the small one 32 x 32 at 2 x 8 per thread, K split 8 ways.
    internal const int LargeTileThreads = 256;
    internal const int SmallTileThreads = 512;
    internal static readonly int LargeTileSharedBytes = GemmSharedBytes(128, 128, 8, 1);
    internal static readonly int SmallTileSharedBytes = GemmSharedBytes(32, 32, 2, 8);
    // Every program's source begins with these files, in this order (the resident kernel uses the persistent kernel's
    // helpers); KernelBuild.ExtraFiles follow.
    private static readonly string[] KernelFiles = ["lstm_persistent.cu", "lstm_resident.cu"];
    // Floats of [x | h] staged per block for a chunk of streams (32 KB).
    private const int StageBudgetFloats = 8192;
    // Streams per staged chunk: the kernel's register blocking (SBMAX) and layer limit (MAX_LAYERS).
    private const int MaxStageStreams = 8;
    internal const int MaxLayers = 16;
    private const long MaxSharedScratchFloats = 8192;

    private readonly CudaContext _context;
    private readonly List<IDisposable> _owned = [];
    private readonly ILogger _logger;
    private readonly Lazy<CudaFunction> _kernel;
    private readonly DeferredKernelModule? _deferred;
    private string _residentUnavailable = "";
    private int _residentMaxStreams = ResidentLayout.StreamLimit;
    private int? _batchMinStreams;

    internal CudaInferenceEngine(NetworkWeights network, Vocabulary vocabulary, int deviceOrdinal, ILoggerFactory? loggerFactory,
        CudaPrecision precision = CudaPrecision.Float32)
        : base(network, vocabulary)
    {
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CudaInferenceEngine>();
        Device = CudaDevice.Get(deviceOrdinal);
        _context = CudaContext.RetainPrimary(Device);
        Precision = EffectivePrecision(precision);
        try
        {
            Resident = ResidentLayout.TryCreate(network.Dimensions, Device.MultiprocessorCount, Device.MaxSharedMemoryPerBlockOptin, out _residentUnavailable);
            // The tensor-core kernels only when asked for, compiled for the precision's operands.
            bool tensorCores = Precision != CudaPrecision.Float32;
            string[] defines = [.. Resident?.CompilerDefines ?? [], .. ExtraCompilerDefines];
            KernelBuild Build(KernelGroup group) => new(group, [], Device.Architecture, defines);
            // Where the resident kernel takes batch 1, lstm_run, the longest compile, finishes in the background; the
            // first session that launches it waits for it. The first text comes after the other groups' compile
            // (docs/PERFORMANCE.md#first-run-kernel-compile).
            var persistent = Build(KernelGroup.Persistent);
            _deferred = Resident is null ? null : KernelModule.LoadWhenFirstUsed(_context, _logger, persistent);
            var modules = KernelModule.Load(_context, _logger,
            [
                .. _deferred is null ? [persistent] : Array.Empty<KernelBuild>(), Build(KernelGroup.Tiled), Build(KernelGroup.Sampler),
                .. Resident is null ? [] : new[] { Build(KernelGroup.Resident1), Build(KernelGroup.Resident1Greedy), Build(KernelGroup.Resident1Sampled), Build(KernelGroup.Resident4) },
                .. tensorCores ? TensorCoreKernels.Builds(Device, Precision, defines) : [],
            ]);
            _owned.AddRange(modules.Values);
            _kernel = new Lazy<CudaFunction>(() => ConfigurePersistent(_deferred is null ? modules[KernelGroup.Persistent] : Own(_deferred.Module)));
            TensorCores = tensorCores ? new TensorCoreKernels(modules, Device, Precision) : null;
            ProgrammaticLaunch = Device.SupportsProgrammaticDependentLaunch;
            GemmLarge = modules[KernelGroup.Tiled].GetFunction("lstm_gemm_large");
            GemmSmall = modules[KernelGroup.Tiled].GetFunction("lstm_gemm_small");
            FcGemm = modules[KernelGroup.Tiled].GetFunction("fc_gemm");
            SampleBatch = modules[KernelGroup.Sampler].GetFunction("sample_batch");
            ResidentSingle = Resident is null ? null : modules[KernelGroup.Resident1].GetFunction("lstm_resident1");
            ResidentGreedy = Resident is null ? null : modules[KernelGroup.Resident1Greedy].GetFunction("lstm_resident1g");
            ResidentSampled = Resident is null ? null : modules[KernelGroup.Resident1Sampled].GetFunction("lstm_resident1s");
            ResidentMany = Resident is null ? null : modules[KernelGroup.Resident4].GetFunction("lstm_resident4");
            UploadWeights(network);
            Configure();
            if (_deferred is null)
            {
                _ = Kernel;
            }
            Log.EngineBuilt(_logger, DeviceName, Configuration);
            if (Resident is null)
            {
                Log.ResidentUnavailable(_logger, _residentUnavailable);
            }
        }
        catch
        {
            DisposeOwned();
            _context.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override Backend Backend => Backend.Cuda;

    /// <inheritdoc />
    public override string DeviceName => $"{Device.Name} ({Device.Architecture}, {Device.MultiprocessorCount} SMs)";

    /// <summary>The device computing.</summary>
    public CudaDevice Device { get; }

    /// <summary>How the kernels are laid out on the device, in words (for logs and benchmarks).</summary>
    public string Configuration =>
        (Resident is null ? "" : $"{Resident} ({ResidentGreedy!.RegistersPerThread}/{ResidentSampled!.RegistersPerThread}/{ResidentSingle!.RegistersPerThread}/{ResidentMany!.RegistersPerThread} registers/thread for 1 stream greedy/1 stream sampled/1 stream/more streams); persistent kernel: ")
        + $"{Grid} blocks x {BlockThreads} threads, {UnitsPerBlock} units/block, {VocabPerBlock} vocab rows/block, weights in {(WeightsInSharedMemory ? "shared memory" : "global memory (L2)")}, {SharedBytes(StageStreams)} B shared";

    /// <summary>
    /// The arithmetic of the many-stream path: as asked for, except <see cref="CudaPrecision.Float32"/> where a
    /// tensor-core precision was asked for on a device without such tensor cores (a warning is logged).
    /// </summary>
    public CudaPrecision Precision { get; }

    /// <summary>Free and total device memory in bytes.</summary>
    public (long Free, long Total) GetMemoryInfo() => _context.GetMemoryInfo();

    internal CudaContext Context => _context;
    internal Lock LaunchGate { get; } = new();
    /// <summary>lstm_run, configured for this model; the first use may wait for its compile (see the constructor).</summary>
    internal CudaFunction Kernel => _kernel.Value;
    internal CudaFunction GemmLarge { get; }
    internal CudaFunction GemmSmall { get; }
    internal CudaFunction FcGemm { get; }
    internal CudaFunction SampleBatch { get; }
    // The resident kernel built for exactly one stream; for one stream's generation without per-step logits, greedy (no
    // sampler, no Feed path: a third of the code) and sampled (no Feed path); and for up to ResidentLayout.StreamLimit.
    // Both generation builds publish layer 0's speculated h ahead (lstm_resident.cu).
    internal CudaFunction? ResidentSingle { get; }
    internal CudaFunction? ResidentGreedy { get; }
    internal CudaFunction? ResidentSampled { get; }
    internal CudaFunction? ResidentMany { get; }

    /// <summary>The resident kernel's layout, or null when this model does not fit on chip (then see the log).</summary>
    internal ResidentLayout? Resident { get; private set; }

    /// <summary>
    /// Sessions of at most this many streams run the resident kernel (0 when there is none). Settable for benchmarks
    /// and tests that compare the paths; values above <see cref="ResidentLayout.MaxStreams"/> are clamped.
    /// </summary>
    internal int ResidentMaxStreams
    {
        get => Math.Min(_residentMaxStreams, Resident?.MaxStreams ?? 0);
        set => _residentMaxStreams = value;
    }
    internal BatchWeights Batch { get; private set; } = null!;

    /// <summary>Extra NVRTC options for engines built after it is set (benchmarks: -DRES_PROFILE).</summary>
    internal static IReadOnlyList<string> ExtraCompilerDefines { get; set; } = [];

    /// <summary>The many-stream path's tensor-core kernels, or null when it computes in float32.</summary>
    internal TensorCoreKernels? TensorCores { get; }

    /// <summary>
    /// Whether consecutive tensor-core launches of a step overlap (programmatic dependent launch: the next kernel's
    /// blocks start and prefetch their weights while the previous one finishes). On where the device supports it;
    /// benchmarks turn it off to measure what it gains.
    /// </summary>
    internal bool ProgrammaticLaunch { get; set; }

    /// <summary>
    /// Sessions of at least this many streams take the many-stream path (tiled launches per step); fewer take the
    /// resident or the persistent kernel. Settable for benchmarks and tests that compare the paths; by default:
    /// <list type="bullet">
    /// <item>with the wgmma tiles, every session that the resident kernel does not take (in Tf32 too, whose tile's step
    /// time is flat from 5 to 8 streams while the persistent kernel's grows past it: one rule rather than a threshold
    /// for one count);</item>
    /// <item>with the other tensor-core tiles, from the persistent kernel's second chunk of <see cref="StageStreams"/>
    /// streams on (its step time grows by a chunk's work with each chunk, the tiled step's hardly at all);</item>
    /// <item>in float32, from its third chunk on.</item>
    /// </list>
    /// Those are where the persistent kernel's and the tiled path's step times cross, greedy and sampled alike
    /// (docs/PERFORMANCE.md#where-the-many-stream-path-starts).
    /// </summary>
    internal int BatchMinStreams
    {
        get => _batchMinStreams
            ?? (TensorCores is null ? 2 * StageStreams + 1
                : TensorCores.WarpgroupTiles.Count > 0 ? ResidentMaxStreams + 1
                : StageStreams + 1);
        set => _batchMinStreams = value;
    }

    /// <summary>Tile choice of the many-stream path: 0 by batch size, 1 small tiles, 2 large tiles (benchmarks).</summary>
    internal int TileChoice { get; set; }
    internal ulong LayersPointer { get; private set; }
    internal ulong TablePointer { get; private set; }
    internal ulong FcWeightsPointer { get; private set; }
    internal ulong FcBiasPointer { get; private set; }
    internal int Grid { get; private set; }
    internal int UnitsPerBlock { get; private set; }
    internal int VocabPerBlock { get; private set; }
    internal int MaxWidth { get; private set; }
    internal int StageStreams { get; private set; }
    internal bool WeightsInSharedMemory { get; private set; }
    private long WeightFloats { get; set; }

    /// <summary>Dynamic shared memory of one block for a launch staging <paramref name="stageStreams"/> streams at a time.</summary>
    internal int SharedBytes(int stageStreams) => SharedBytes(stageStreams, WeightsInSharedMemory);

    /// <inheritdoc />
    protected override EngineSession CreateSessionCore(int streams)
    {
        try
        {
            return new CudaEngineSession(this, streams);
        }
        catch (Exception e) when (CudaBackendException.IsNative(e))
        {
            throw CudaBackendException.Wrap(e);
        }
    }

    /// <summary>Throws when the engine (and so its device weights) has been disposed; call holding <see cref="LaunchGate"/>.</summary>
    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // The first run on a machine: a short one ends before lstm_run's background compile, which would then start
            // over in every run; waiting here leaves it cached.
            _deferred?.WaitForCompile();
            // Under the launch gate: no session is launching on the weights being freed.
            lock (LaunchGate)
            {
                DisposeOwned();
                _context.Dispose();
            }
        }
    }

    /// <summary>
    /// Floats of the stage region: the staged [x | h] of <paramref name="stageStreams"/> streams, and room for the
    /// sampling scratch of every warp (3 x vocab floats each) when <see cref="ScratchInSharedMemory"/>.
    /// </summary>
    internal int StageFloats(int stageStreams) => (int)RoundUp4(Math.Max(
        (long)stageStreams * MaxWidth, ScratchInSharedMemory ? 3L * Warps * Dimensions.VocabularySize : 0));

    /// <summary>Whether each warp's sampling scratch lives in shared memory (small vocabularies) or global memory.</summary>
    internal bool ScratchInSharedMemory => SamplingScratchFitsSharedMemory(Dimensions.VocabularySize);

    /// <summary>Whether the sampling scratch of a block's warps (3 x vocab floats each) goes in shared memory.</summary>
    internal static bool SamplingScratchFitsSharedMemory(int vocabularySize) => 3L * Warps * vocabularySize <= MaxSharedScratchFloats;

    private int SharedBytes(int stageStreams, bool weightsInShared)
    {
        long floats = (weightsInShared ? WeightFloats : 0)
            + StageFloats(stageStreams)
            + RoundUp4((long)stageStreams * 4 * UnitsPerBlock)
            + RedundantSamplingStreams;
        return (int)Math.Min(int.MaxValue, floats * sizeof(float));
    }

    private static long RoundUp4(long n) => (n + 3) & ~3L;

    // max(KS double-buffered padded tile pairs, the partial sums of slices 1..KS-1), as gemm_step lays them out.
    private static int GemmSharedBytes(int bm, int bn, int tm, int ks)
    {
        const int k = BatchWeights.TileK;
        int tiles = ks * 2 * k * (bm + 4 + bn + 4);
        int partial = (ks - 1) * (bn / 8) * (bm / tm) * tm * 8;
        return Math.Max(tiles, partial) * sizeof(float);
    }

    internal static string ReadKernelSource(IReadOnlyList<string>? extraFiles = null) =>
        string.Join("\n", KernelFiles.Concat(extraFiles ?? []).Select(ReadKernelFile));

    private static string ReadKernelFile(string file)
    {
        string resource = "CharRnn.Inference.Cuda.Kernels." + file;
        using var stream = typeof(CudaInferenceEngine).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The kernel resource {resource} is missing from {typeof(CudaInferenceEngine).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    // The tensor-core precisions need cp.async and mma.sync with tf32/f16/bf16 operands (compute capability 8.0); older
    // devices compute in float32, which is at least as exact, more slowly, rather than failing an engine that would
    // otherwise work.
    private CudaPrecision EffectivePrecision(CudaPrecision requested)
    {
        if (requested != CudaPrecision.Float32 && Device.ComputeCapability.Major < TensorCoreKernels.MinimumMajorVersion)
        {
            Log.TensorCoresUnsupported(_logger, requested, DeviceName);
            return CudaPrecision.Float32;
        }
        return requested;
    }

    private void UploadWeights(NetworkWeights network)
    {
        var dims = network.Dimensions;
        int hidden = dims.HiddenSize, rows = 4 * hidden;
        using var stream = _context.CreateStream();
        var descriptors = new LayerWeightsDescriptor[dims.LayerCount];
        for (int k = 0; k < dims.LayerCount; k++)
        {
            var layer = network.Layers[k];
            int input = k == 0 ? 0 : layer.InputSize;
            int width = input + hidden;
            // Layer 0's input projection is the per-character table; above it each row is [W row | R row], so that a
            // gate needs one dot product over the staged [x | h].
            var rowsData = new float[(long)rows * width];
            var w = layer.InputWeights;
            var r = layer.RecurrentWeights;
            for (int row = 0; row < rows; row++)
            {
                if (input > 0)
                {
                    w.Slice(row * input, input).CopyTo(rowsData.AsSpan(row * width, input));
                }
                r.Slice(row * hidden, hidden).CopyTo(rowsData.AsSpan(row * width + input, hidden));
            }
            var bias = new float[rows];
            for (int i = 0; i < rows; i++)
            {
                bias[i] = layer.InputBias[i] + layer.RecurrentBias[i];
            }
            descriptors[k] = new LayerWeightsDescriptor
            {
                WeightRows = Upload(rowsData, stream),
                Bias = Upload(bias, stream),
                Width = width,
            };
        }
        MaxWidth = descriptors.Max(d => d.Width);
        LayersPointer = Upload(descriptors, stream);
        TablePointer = Upload(Layer0InputTable.Compute(network), stream);
        FcWeightsPointer = Upload(network.FcWeights.ToArray(), stream);
        FcBiasPointer = Upload(network.FcBias.ToArray(), stream);
        Batch = new BatchWeights(network, Precision, data => Upload(data, stream), data => Upload(data, stream));
    }

    private ulong Upload<T>(T[] data, CudaStream stream) where T : unmanaged
    {
        var buffer = _context.Allocate<T>(data.Length);
        _owned.Add(buffer);
        buffer.CopyFrom(data, stream);
        return buffer.Pointer;
    }

    // Each block owns the same hidden units in every layer; one block per multiprocessor at most, so that all blocks
    // are co-resident for the grid barrier and each gets a whole multiprocessor's shared memory for its weight rows.
    private void Configure()
    {
        var dims = Dimensions;
        int hidden = dims.HiddenSize, vocab = dims.VocabularySize;
        if (dims.LayerCount > MaxLayers)
        {
            throw new ModelFormatException($"The CUDA engine supports up to {MaxLayers} layers; this model has {dims.LayerCount}. Use the CPU backend.");
        }
        int sms = Device.MultiprocessorCount;
        UnitsPerBlock = (hidden + sms - 1) / sms;
        Grid = (hidden + UnitsPerBlock - 1) / UnitsPerBlock;
        VocabPerBlock = (vocab + Grid - 1) / Grid;
        StageStreams = Math.Clamp(StageBudgetFloats / MaxWidth, 1, MaxStageStreams);
        long weightFloats = (long)VocabPerBlock * hidden;
        for (int k = 0; k < dims.LayerCount; k++)
        {
            weightFloats += 4L * UnitsPerBlock * (k == 0 ? hidden : dims.LayerInputSize(k) + hidden);
        }
        WeightFloats = RoundUp4(weightFloats);
        WeightsInSharedMemory = SharedBytes(StageStreams, weightsInShared: true) <= Device.MaxSharedMemoryPerBlockOptin;
        int shared = SharedBytes(StageStreams);
        if (shared > Device.MaxSharedMemoryPerBlockOptin)
        {
            throw new CudaBackendException($"The CUDA kernel needs {shared} bytes of shared memory per block for this model but {Device.Name} allows {Device.MaxSharedMemoryPerBlockOptin}.");
        }
        if (SmallTileSharedBytes <= Device.MaxSharedMemoryPerBlockOptin)
        {
            GemmSmall.SetMaxDynamicSharedMemory(SmallTileSharedBytes);
            FcGemm.SetMaxDynamicSharedMemory(SmallTileSharedBytes);
        }
        else
        {
            // Devices with little shared memory per block keep the persistent kernel for every batch.
            BatchMinStreams = int.MaxValue;
        }
        if (Resident is not null)
        {
            foreach (var (kernel, streams) in new[] { (ResidentGreedy!, 1), (ResidentSampled!, 1), (ResidentSingle!, 1), (ResidentMany!, Resident.MaxStreams) })
            {
                int residentShared = Resident.SharedBytes(streams);
                kernel.SetMaxDynamicSharedMemory(residentShared);
                if (kernel.MaxActiveBlocksPerMultiprocessor(Resident.Threads, residentShared) < 1)
                {
                    _residentUnavailable = $"a block of {Resident.Threads} threads using {kernel.RegistersPerThread} registers each and {residentShared} bytes of shared memory does not fit on a multiprocessor";
                    Resident = null;
                    break;
                }
                if (kernel.LocalBytesPerThread > 0)
                {
                    Log.ResidentSpills(_logger, kernel.Name, kernel.LocalBytesPerThread);
                }
            }
        }
    }

    private CudaFunction ConfigurePersistent(CudaModule module)
    {
        var kernel = module.GetFunction(KernelName);
        int shared = SharedBytes(StageStreams);
        kernel.SetMaxDynamicSharedMemory(shared);
        int perSm = kernel.MaxActiveBlocksPerMultiprocessor(BlockThreads, shared);
        if (perSm < 1 || (long)perSm * Device.MultiprocessorCount < Grid)
        {
            throw new CudaBackendException($"The persistent kernel cannot keep {Grid} blocks resident on {Device.Name} ({perSm} per multiprocessor).");
        }
        return kernel;
    }

    private CudaModule Own(CudaModule module)
    {
        _owned.Add(module);
        return module;
    }

    private void DisposeOwned()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }
        _owned.Clear();
    }
}
