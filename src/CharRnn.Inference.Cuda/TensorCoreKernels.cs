using CharRnn.Bindings.Cuda;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// The tensor-core kernels of the many-stream path (Kernels/lstm_tensorcore.cu, compiled only for engines built with a
/// tensor-core <see cref="CudaPrecision"/>, for that precision's operands) and their tile choice.
/// </summary>
internal sealed class TensorCoreKernels
{
    /// <summary>The compute capability whose cp.async and TF32/FP16/BF16 mma.sync the kernels need.</summary>
    internal const int MinimumMajorVersion = 8;
    internal const string SourceFile = "lstm_tensorcore.cu";

    /// <summary>The NVRTC version (major * 1000 + minor * 10) that first compiles for sm_90a (the wgmma tiles): 12.0.</summary>
    internal const int MinimumWarpgroupNvrtcVersion = 12000;

    /// <summary>The widest (padded) vocabulary that the greedy projection's single column tile covers.</summary>
    internal const int GreedyMaxColumns = 128;

    /// <summary>
    /// Greedy generation on the mma.sync tiles samples in the projection from this many streams on (layers that run
    /// early, <see cref="RunsEarly"/>, do at every batch). The one-column-tile projection costs a few microseconds more
    /// than the 32 x 32 one, which sample_batch, the launch it saves, outweighs only at larger batches; from 256 streams
    /// the fused steps are faster (docs/PERFORMANCE.md#fused-greedy-projection).
    /// </summary>
    internal const int GreedyProjectionMinStreams = 256;

    private readonly Tile[] _layerTiles;
    // Blocks of each layer tile that the device holds at once (all multiprocessors): one wave of that tile.
    private readonly int[] _layerTileWave;
    private readonly Tile _greedyProjection;
    // 32 rows, a ring of 4: leaves room for a layer block beside it (early greedy steps).
    private readonly Tile _greedyProjection32;
    // The deep-ring greedy projections that the device's shared memory allows, 16 rows per block before 32 (the 16-row
    // one needs less, so it is first whenever the list is not empty).
    private readonly Tile[] _deepGreedyProjections;
    private readonly int _multiprocessors;

    /// <summary>The kernels of <see cref="Builds"/>, loaded (<see cref="KernelModule.Load"/>).</summary>
    public TensorCoreKernels(IReadOnlyDictionary<KernelGroup, CudaModule> modules, CudaDevice device, CudaPrecision precision)
    {
        OperandBytes = OperandBytesOf(precision);
        var layers = modules[KernelGroup.TensorCoreLayers];
        var projections = modules[KernelGroup.TensorCoreProjections];
        WarpgroupTiles = modules.TryGetValue(KernelGroup.TensorCoreWarpgroup, out var warpgroup)
            ?
            [
                new Tile(warpgroup.GetFunction("lstm_tc_wgmma"), 128, 128, 256, WarpgroupSharedBytes(128, 3), Overlap: true),
                new Tile(warpgroup.GetFunction("lstm_tc_wgmma64"), 64, 128, 256, WarpgroupSharedBytes(64, 4), Overlap: true),
                new Tile(warpgroup.GetFunction("lstm_tc_wgmma64_deep"), 64, 128, 256, WarpgroupSharedBytes(64, 8), Overlap: true),
                new Tile(warpgroup.GetFunction("lstm_tc_wgmma_deep"), 128, 128, 256, WarpgroupSharedBytes(128, 6), Overlap: true),
            ]
            : [];
        // Largest tiles first; each line mirrors an extern "C" kernel's template arguments (rows, columns, threads, bytes
        // of K per stage, ring stages, ldmatrix). Each is the fastest at some batch, smallest at the fewest streams. The
        // 64 x 128 tile has another warp layout for 16-bit operands (its kernel's comment), and in TF32 it is the one tile
        // that runs slower when launched overlapping its predecessor, so it alone does not overlap there
        // (docs/PERFORMANCE.md#mma-sync-tiles).
        bool sixteenBit = OperandBytes == 2;
        _layerTiles =
        [
            TileOf(layers, "lstm_tc_large", 128, 128, 256, 64, 4, ldmatrix: true),
            TileOf(layers, "lstm_tc_medium", 64, 128, sixteenBit ? 256 : 128, 64, 4, ldmatrix: sixteenBit, overlap: sixteenBit),
            TileOf(layers, "lstm_tc_narrow", 32, 64, 128, 128, 6, ldmatrix: false),
            TileOf(layers, "lstm_tc_small", 32, 32, 128, 128, 6, ldmatrix: false),
        ];
        Projection = TileOf(projections, "fc_tc", 32, 32, 128, 128, 6, ldmatrix: false);
        _greedyProjection = TileOf(projections, "fc_tc_greedy", 16, GreedyMaxColumns, 128, 128, 4, ldmatrix: false);
        _greedyProjection32 = TileOf(projections, "fc_tc_greedy32", 32, GreedyMaxColumns, 256, 128, 4, ldmatrix: false);
        // The deep rings (16 and 32 rows per block) need 182-203 and 207-231 KB of shared memory: Hopper has them (TF32's
        // 32-row ring all but 2 KB of its 227), an A100 (163 KB) or an sm_86/89 card (99 KB) does not, and runs the
        // regular kernel at every batch.
        _deepGreedyProjections =
        [
            .. new[]
            {
                TileOf(projections, "fc_tc_greedy_deep", 16, GreedyMaxColumns, 128, 128, 9, ldmatrix: false),
                TileOf(projections, "fc_tc_greedy_deep32", 32, GreedyMaxColumns, 256, 128, 9, ldmatrix: false),
            }.Where(tile => tile.SharedBytes <= device.MaxSharedMemoryPerBlockOptin),
        ];
        foreach (var tile in _layerTiles.Append(Projection).Append(_greedyProjection).Append(_greedyProjection32).Concat(_deepGreedyProjections).Concat(WarpgroupTiles))
        {
            if (tile.SharedBytes > device.MaxSharedMemoryPerBlockOptin)
            {
                throw new CudaBackendException($"The tensor-core kernel {tile.Function.Name} needs {tile.SharedBytes} bytes of shared memory per block but {device.Name} allows {device.MaxSharedMemoryPerBlockOptin}. Use CudaPrecision.Float32.");
            }
            tile.Function.SetMaxDynamicSharedMemory(tile.SharedBytes);
        }
        Sampler = projections.GetFunction("sample_batch_tc");
        _layerTileWave = [.. _layerTiles.Select(tile => Math.Max(1, tile.Function.MaxActiveBlocksPerMultiprocessor(tile.Threads, tile.SharedBytes)) * device.MultiprocessorCount)];
        NarrowH = projections.GetFunction(OperandBytes == 2 ? "tc_narrow_h" : "tc_round_h");
        WidenH = OperandBytes == 2 ? projections.GetFunction("tc_widen_h") : null;
        _multiprocessors = device.MultiprocessorCount;
    }

    /// <summary>
    /// sample_batch_tc: sample_batch (one warp per stream, RunParams) as a programmatic dependent of the projection,
    /// which lets the next layer 0 begin only after its wait, as the greedy projection does where that layer runs early.
    /// </summary>
    public CudaFunction Sampler { get; }

    /// <summary>Bytes per operand element in device memory: 4 for TF32 (floats), 2 for FP16 and BF16.</summary>
    public int OperandBytes { get; }

    /// <summary>
    /// The layers' operand h from a float32 h that the host wrote (a restored state; <see cref="NarrowParams"/>): for
    /// 16-bit operands tc_narrow_h, into the 16-bit copy; for TF32 tc_round_h, rounding it in place, as the layers write
    /// every h they compute (the wgmma tiles read their operands unrounded).
    /// </summary>
    public CudaFunction NarrowH { get; }

    /// <summary>For 16-bit operands, tc_widen_h: the layers' 16-bit h as float32, for the host to read; else null.</summary>
    public CudaFunction? WidenH { get; }

    /// <summary>
    /// The wgmma tiles, largest first, where the kernels are compiled for sm_90a (<see cref="Builds"/>), else
    /// none: lstm_tc_wgmma (128 x 128, two warpgroups, a ring of 3 K tiles of 128 bytes with no padding),
    /// lstm_tc_wgmma64 (64 x 128 as two warpgroups of 64 x 64, a ring of 4, two blocks to a multiprocessor),
    /// lstm_tc_wgmma64_deep (the same with a ring of 8, one block to a multiprocessor) and lstm_tc_wgmma_deep (128 x 128
    /// with a ring of 6, one block to a multiprocessor). <see cref="LayerTile"/> takes them rather than the mma.sync
    /// tiles at every batch: they are faster than lstm_tc_large at every batch measured
    /// (docs/PERFORMANCE.md#wgmma-tiles).
    /// <para>
    /// The deep rings: the 64-row ring of 8 pays where the K loop is long (<see cref="DeepRingKTiles"/>), and the
    /// 128-row ring of 6 wins between the 64-row tiles' batches and the 128-row ring of 3's full grid. The ring of 3 is
    /// a little faster than the ring of 6 at some of those batches of the seed shape but much slower on a 2 x 1024
    /// model, so one rule takes the ring of 6 there (docs/PERFORMANCE.md#wgmma-deep-rings).
    /// </para>
    /// </summary>
    public IReadOnlyList<Tile> WarpgroupTiles { get; }

    /// <summary>
    /// K tiles (of 128 bytes) per layer from which the 64-row tile with the ring of 8 is taken rather than the ring of 4:
    /// its 6 tiles in flight rather than 2 pay where the K loop is long: Tf32's 2 x 1024 model (64 tiles in layer 1)
    /// gained, Tf32 at the seed shape (32) and Float16's 2 x 1024 model (32) did not
    /// (docs/PERFORMANCE.md#wgmma-deep-rings).
    /// </summary>
    internal const int DeepRingKTiles = 64;

    /// <summary>
    /// Benchmarks and tests only: the index into the layer tiles that <see cref="LayerTile"/> returns whatever the batch,
    /// or null for its own choice. 0-3: the mma.sync tiles, largest first; 4-7: <see cref="WarpgroupTiles"/>, where
    /// present.
    /// </summary>
    internal int? ForcedLayerTile { get; set; }

    /// <summary>The projection's kernel (its 32 columns divide the padded vocabulary).</summary>
    public Tile Projection { get; }

    /// <summary>
    /// Benchmarks and tests only: false leaves out the 32-row deep-ring projection (<see cref="GreedyProjection"/>).
    /// </summary>
    internal bool UseGreedyProjection32 { get; set; } = true;

    /// <summary>
    /// Benchmarks only: the greedy projection that <see cref="GreedyProjection"/> returns whatever the batch, or null for
    /// its own choice. 0: 16 rows, a ring of 4; 1: 32 rows, a ring of 4; 2 and 3: the deep rings of 16 and 32 rows, where
    /// the device has them.
    /// </summary>
    internal int? ForcedGreedyProjection { get; set; }

    /// <summary>
    /// Benchmarks and tests only: the fewest streams whose greedy steps sample in the projection
    /// (<see cref="GreedyProjectionMinStreams"/> unless set).
    /// </summary>
    internal int FusedGreedyMinStreams { get; set; } = GreedyProjectionMinStreams;

    /// <summary>Benchmarks and tests only: false keeps every layer's products behind its wait (<see cref="RunsEarly"/>).</summary>
    internal bool UseEarlyProducts { get; set; } = true;

    /// <summary>
    /// Whether generation steps of <paramref name="streams"/> streams launch their layers early (GemmParams.early): the
    /// wgmma tiles multiply a layer's old h before waiting for the kernel before them: layer 0's products overlap the
    /// previous step's greedy projection or <see cref="Sampler"/>, and in the 128 x 128 tile (whose K order puts h
    /// first) layer 1's own-h half overlaps layer 0. Measured in lstm_tensorcore.cu's kernel comments.
    /// </summary>
    public bool RunsEarly(int streams, int paddedN, int paddedK) => UseEarlyProducts && WarpgroupTiles.Contains(LayerTile(streams, paddedN, paddedK));

    /// <summary>
    /// The projection with greedy sampling fused (<see cref="GreedyProjectionParams"/>) for <paramref name="streams"/>
    /// streams: one column tile of <see cref="GreedyMaxColumns"/>, so only for padded vocabularies up to that; its blocks
    /// are <c>Blocks(streams, GreedyMaxColumns)</c>. The 16-row deep-ring kernel (one block per multiprocessor) when
    /// all its blocks fit at once; else, when the layers run early (<paramref name="early"/>), the 32-row kernel with a
    /// ring of 4, beside whose blocks the next layer 0's fit; else the 32-row deep ring when its blocks all fit, else
    /// the one whose blocks run two to a multiprocessor.
    /// </summary>
    public Tile GreedyProjection(int streams, bool early)
    {
        if (ForcedGreedyProjection is int forced)
        {
            return forced switch
            {
                0 => _greedyProjection,
                1 => _greedyProjection32,
                _ when forced >= 2 && forced - 2 < _deepGreedyProjections.Length => _deepGreedyProjections[forced - 2],
                _ => throw new ArgumentOutOfRangeException(nameof(ForcedGreedyProjection), forced,
                    $"No greedy projection {forced} here: 0 and 1 always exist, 2 and 3 (the deep rings) only where the device's shared memory holds them ({_deepGreedyProjections.Length} of them do)."),
            };
        }
        bool AllAtOnce(Tile tile) => tile.Blocks(streams, GreedyMaxColumns) <= _multiprocessors;
        if (early && _deepGreedyProjections.Length > 0 && !AllAtOnce(_deepGreedyProjections[0]))
        {
            return _greedyProjection32;
        }
        foreach (var deep in _deepGreedyProjections)
        {
            if ((deep.Rows < 32 || UseGreedyProjection32) && AllAtOnce(deep))
            {
                return deep;
            }
        }
        return _greedyProjection;
    }

    /// <summary>
    /// The layer tile for <paramref name="streams"/> streams of <paramref name="paddedN"/> gate columns, whose widest
    /// layer has <paramref name="paddedK"/> columns of [x | h]. With the wgmma tiles: the 128-row one with the ring of 3
    /// once every multiprocessor has a block; else the 64-row ones while their blocks and the greedy projection's do not
    /// outnumber the multiprocessors (the ring of 8 where K is long, <see cref="DeepRingKTiles"/>, else the ring of 4);
    /// else, between the two, the 128-row one with the ring of 6 (<see cref="WarpgroupTiles"/> has the measurements).
    /// Else the largest mma.sync tile whose blocks give every multiprocessor one and all run at once (bigger tiles read
    /// less per product; fewer blocks than multiprocessors leave some idle, more than the device holds at once run in
    /// waves); where none does, the one with the fewest waves, the one with more blocks among equals.
    /// </summary>
    public Tile LayerTile(int streams, int paddedN, int paddedK)
    {
        if (ForcedLayerTile is int forced)
        {
            return forced < _layerTiles.Length ? _layerTiles[forced] : WarpgroupTiles[forced - _layerTiles.Length];
        }
        // The 64-row wgmma tile, even with few blocks: its generation steps run early (RunsEarly) behind the fused
        // projection or sample_batch_tc, which no mma.sync tile does, and that makes it faster than the mma.sync tiles
        // at every batch below 320 streams too (docs/PERFORMANCE.md#wgmma-tiles-at-few-streams).
        if (WarpgroupTiles is [var large, var rows64, var rows64Deep, var largeDeep])
        {
            if (large.Blocks(streams, paddedN) >= _multiprocessors)
            {
                return large;
            }
            // The 64-row tiles while their blocks and the 16-row greedy projection's (one to a multiprocessor, running
            // while the next layer 0 multiplies early) leave every layer block a multiprocessor of its own.
            if (rows64.Blocks(streams, paddedN) + _greedyProjection.Blocks(streams, GreedyMaxColumns) <= _multiprocessors)
            {
                bool longK = (paddedK * OperandBytes + 127) / 128 >= DeepRingKTiles;
                return longK ? rows64Deep : rows64;
            }
            return largeDeep;
        }
        // Waves count: a tile whose blocks take two waves is slower than a larger tile that fills one, so the first tile
        // that fills the device in one wave wins (docs/PERFORMANCE.md#mma-sync-tiles).
        int best = 0, bestWaves = int.MaxValue, bestBlocks = 0;
        for (int i = 0; i < _layerTiles.Length; i++)
        {
            int blocks = _layerTiles[i].Blocks(streams, paddedN);
            int waves = (blocks + _layerTileWave[i] - 1) / _layerTileWave[i];
            if (blocks >= _multiprocessors && waves == 1)
            {
                return _layerTiles[i];
            }
            if (waves < bestWaves || waves == bestWaves && blocks > bestBlocks)
            {
                (best, bestWaves, bestBlocks) = (i, waves, blocks);
            }
        }
        return _layerTiles[best];
    }

    /// <summary>
    /// The programs of the tensor-core kernels for <paramref name="precision"/>'s operands (TC_OPERAND) on
    /// <paramref name="device"/>, besides <paramref name="defines"/>: the mma.sync layer tiles, the projections, and the
    /// wgmma tiles where the device takes them. All are compiled for sm_90a (wgmma, <see cref="WarpgroupTiles"/>) on
    /// compute capability 9.0 exactly (sm_90a code runs on no other device), else for the device's own architecture.
    /// </summary>
    internal static IEnumerable<KernelBuild> Builds(CudaDevice device, CudaPrecision precision, IReadOnlyList<string> defines)
    {
        bool warpgroup = UsesWarpgroupTile(device, precision);
        string architecture = warpgroup ? device.Architecture + "a" : device.Architecture;
        string[] options = [.. defines, $"-DTC_OPERAND={OperandCode(precision)}"];
        string[] files = [SourceFile];
        yield return new KernelBuild(KernelGroup.TensorCoreLayers, files, architecture, options);
        yield return new KernelBuild(KernelGroup.TensorCoreProjections, files, architecture, options);
        if (warpgroup)
        {
            yield return new KernelBuild(KernelGroup.TensorCoreWarpgroup, files, architecture, options);
        }
    }

    // sm_90a needs NVRTC 12.0 or newer: an older one (which still compiles for sm_90) keeps the mma.sync tiles.
    private static bool UsesWarpgroupTile(CudaDevice device, CudaPrecision precision) =>
        device.ComputeCapability is { Major: 9, Minor: 0 } && precision != CudaPrecision.Float32
        && Nvrtc.TryInitialize(out _) && Nvrtc.Version >= MinimumWarpgroupNvrtcVersion;

    /// <summary>
    /// The value of TC_OPERAND (lstm_tensorcore.cu) that compiles the kernels for <paramref name="precision"/>'s operands.
    /// </summary>
    internal static int OperandCode(CudaPrecision precision) => precision switch
    {
        CudaPrecision.Tf32 => 0,
        CudaPrecision.Float16 => 1,
        CudaPrecision.BFloat16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "Float32 has no tensor-core kernels."),
    };

    internal static int OperandBytesOf(CudaPrecision precision) => precision == CudaPrecision.Tf32 ? sizeof(float) : sizeof(ushort);

    /// <summary>
    /// Dynamic shared memory of tc_gemm: a ring of <paramref name="stages"/> tile pairs with rows of
    /// <paramref name="kBytes"/> plus <paramref name="paddingBytes"/>, then one token per row (layer 0's table reads in
    /// the epilogue).
    /// </summary>
    internal static int SharedBytes(int rows, int columns, int kBytes, int stages, int paddingBytes) =>
        stages * (rows + columns) * (kBytes + paddingBytes) + rows * sizeof(int);

    // tc_wgmma_lstm's ring (rows of 128 bytes, no padding) and tokens, then the tile's old c: a float for each of the 32
    // units of each row. 115,200 bytes for the 128-row tile: two blocks still fit in a Hopper multiprocessor's 228 KB
    // with their 1 KB each of reserved shared memory.
    internal static int WarpgroupSharedBytes(int rows, int stages) => SharedBytes(rows, 128, 128, stages, 0) + rows * 32 * sizeof(float);

    // Rows are padded by 16 bytes for ldmatrix (which 16-bit operands always use), else by 32 (lstm_tensorcore.cu).
    private Tile TileOf(CudaModule module, string name, int rows, int columns, int threads, int kBytes, int stages, bool ldmatrix, bool overlap = true) =>
        new(module.GetFunction(name), rows, columns, threads,
            SharedBytes(rows, columns, kBytes, stages, ldmatrix || OperandBytes == 2 ? 16 : 32), overlap);

    /// <summary>
    /// One kernel and its launch shape; <paramref name="Overlap"/>: whether its launches may overlap the tail of the
    /// tensor-core kernel before them (programmatic dependent launch; measured per tile).
    /// </summary>
    internal readonly record struct Tile(CudaFunction Function, int Rows, int Columns, int Threads, int SharedBytes, bool Overlap)
    {
        public int Blocks(int streams, int paddedN) => (streams + Rows - 1) / Rows * (paddedN / Columns);
    }
}
