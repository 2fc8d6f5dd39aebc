using CharRnn.Bindings.Cuda;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// The TF32 tensor-core kernels of the many-stream path (Kernels/lstm_tensorcore.cu, compiled only for engines built
/// with <see cref="CudaPrecision.Tf32"/>) and their tile choice.
/// </summary>
internal sealed class TensorCoreKernels
{
    /// <summary>The compute capability whose cp.async and TF32 mma.sync the kernels need.</summary>
    internal const int MinimumMajorVersion = 8;
    internal const string SourceFile = "lstm_tensorcore.cu";

    /// <summary>The widest (padded) vocabulary that the greedy projection's single column tile covers.</summary>
    internal const int GreedyMaxColumns = 128;

    /// <summary>
    /// Greedy generation samples in the projection from this many streams on. Measured on the H200 (seed shape): the
    /// one-column-tile projection costs about 3 us more than the 32 x 32 one, while sample_batch, which it replaces,
    /// costs about 2 us at 64 streams and 7-15 at 1024-4096 (inferred from step times with and without it).
    /// </summary>
    internal const int GreedyProjectionMinStreams = 1024;

    private readonly Tile[] _layerTiles;
    private readonly int _multiprocessors;

    public TensorCoreKernels(CudaModule module, CudaDevice device)
    {
        // Largest tiles first; each line mirrors an extern "C" kernel's template arguments (rows, columns, threads,
        // K tile, ring stages, row padding: 4 with ldmatrix, else 8). Measured on the H200 (seed shape, us for the two
        // layer launches, standalone harness): 32 x 32 is fastest at 64 streams (21), 32 x 64 at 256 (30), 64 x 128 at
        // 1024 (66), 128 x 128 at 4096 (192).
        _layerTiles =
        [
            new(module.GetFunction("lstm_tc_large"), 128, 128, 256, SharedBytes(128, 128, 16, 4, 4)),
            new(module.GetFunction("lstm_tc_medium"), 64, 128, 128, SharedBytes(64, 128, 16, 4, 8)),
            new(module.GetFunction("lstm_tc_narrow"), 32, 64, 128, SharedBytes(32, 64, 32, 6, 8)),
            new(module.GetFunction("lstm_tc_small"), 32, 32, 128, SharedBytes(32, 32, 32, 6, 8)),
        ];
        Projection = new(module.GetFunction("fc_tc"), 32, 32, 128, SharedBytes(32, 32, 32, 6, 8));
        GreedyProjection = new(module.GetFunction("fc_tc_greedy"), 16, GreedyMaxColumns, 128,
            SharedBytes(16, GreedyMaxColumns, 32, 4, 8));
        foreach (var tile in _layerTiles.Append(Projection).Append(GreedyProjection))
        {
            if (tile.SharedBytes > device.MaxSharedMemoryPerBlockOptin)
            {
                throw new CudaException($"The tensor-core kernel {tile.Function.Name} needs {tile.SharedBytes} bytes of shared memory per block but {device.Name} allows {device.MaxSharedMemoryPerBlockOptin}. Use CudaPrecision.Float32.");
            }
            tile.Function.SetMaxDynamicSharedMemory(tile.SharedBytes);
        }
        _multiprocessors = device.MultiprocessorCount;
    }

    /// <summary>The projection's kernel (its 32 columns divide the padded vocabulary).</summary>
    public Tile Projection { get; }

    /// <summary>
    /// The projection with greedy sampling fused (<see cref="GreedyProjectionParams"/>): one column tile of
    /// <see cref="GreedyMaxColumns"/>, so only for padded vocabularies up to that; its blocks are
    /// <c>Blocks(streams, GreedyMaxColumns)</c>.
    /// </summary>
    public Tile GreedyProjection { get; }

    /// <summary>
    /// The largest tile that still gives every multiprocessor a block (bigger tiles read less per product; fewer
    /// blocks than multiprocessors leave some idle), else the smallest.
    /// </summary>
    public Tile LayerTile(int streams, int paddedN)
    {
        foreach (var tile in _layerTiles)
        {
            if (tile.Blocks(streams, paddedN) >= _multiprocessors)
            {
                return tile;
            }
        }
        return _layerTiles[^1];
    }

    /// <summary>
    /// Dynamic shared memory of tc_gemm: a ring of <paramref name="stages"/> tile pairs with rows of K tile +
    /// <paramref name="padding"/> floats, then one token per row (layer 0's table reads in the epilogue).
    /// </summary>
    internal static int SharedBytes(int rows, int columns, int kTile, int stages, int padding) =>
        (stages * (rows + columns) * (kTile + padding) + rows) * sizeof(float);

    /// <summary>One kernel and its launch shape.</summary>
    internal readonly record struct Tile(CudaFunction Function, int Rows, int Columns, int Threads, int SharedBytes)
    {
        public int Blocks(int streams, int paddedN) => (streams + Rows - 1) / Rows * (paddedN / Columns);
    }
}
