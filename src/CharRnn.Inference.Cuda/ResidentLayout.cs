using CharRnn.Inference.Model;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// How the resident kernel (Kernels/lstm_resident.cu) spreads a model over the device: <see cref="UnitsPerBlock"/>
/// hidden units of every layer per block, one warp per gate row holding that row's weights in registers, projection row
/// v in the shared memory of block v % <see cref="Grid"/> (at most one per warp). Only models that fit get one
/// (<see cref="TryCreate"/>); the others run the persistent kernel.
/// </summary>
internal sealed class ResidentLayout
{
    /// <summary>
    /// Streams one launch can carry (the kernel's lstm_resident4 unrolls its per-stream accumulators; 8 would spill
    /// registers at 512 threads per block, and the persistent kernel is as fast there).
    /// </summary>
    internal const int StreamLimit = 4;

    // Weights per thread beyond which the rows would not stay in registers next to the kernel's own (at most 128 per
    // thread at 512 threads per block; 64 of them for weights leaves the rest for the accumulators and addresses).
    private const int MaxWeightsPerThread = 64;
    // One block of at most 1024 threads: 4 gate rows per unit, a warp per row.
    private const int MaxUnitsPerBlock = 8;

    private readonly ModelDimensions _dims;

    private ResidentLayout(ModelDimensions dims, int unitsPerBlock, int maxStreams)
    {
        _dims = dims;
        UnitsPerBlock = unitsPerBlock;
        MaxStreams = maxStreams;
    }

    /// <summary>Hidden units of every layer each block owns.</summary>
    public int UnitsPerBlock { get; }

    /// <summary>Blocks of a launch: one per <see cref="UnitsPerBlock"/> units, at most one per multiprocessor.</summary>
    public int Grid => _dims.HiddenSize / UnitsPerBlock;

    /// <summary>Threads per block: a warp per gate row.</summary>
    public int Threads => 32 * Rows;

    /// <summary>The most streams a session may have to run this kernel (bounded by shared memory and <see cref="StreamLimit"/>).</summary>
    public int MaxStreams { get; }

    /// <summary>The preprocessor definitions that compile the kernel for this model's shape.</summary>
    public IReadOnlyList<string> CompilerDefines =>
        [$"-DRES_H={_dims.HiddenSize}", $"-DRES_L={_dims.LayerCount}", $"-DRES_U={UnitsPerBlock}", $"-DRES_V={_dims.VocabularySize}"];

    private int Rows => 4 * UnitsPerBlock;

    /// <summary>
    /// The layout for <paramref name="dims"/> on a device of <paramref name="multiprocessors"/> multiprocessors and
    /// <paramref name="maxSharedBytes"/> of shared memory per block, or null with the reason it does not fit.
    /// </summary>
    public static ResidentLayout? TryCreate(ModelDimensions dims, int multiprocessors, int maxSharedBytes, out string reason)
    {
        int hidden = dims.HiddenSize;
        if (hidden % 32 != 0)
        {
            reason = $"the hidden size {hidden} is not a multiple of 32";
            return null;
        }
        int weightsPerThread = hidden / 32 * (1 + 2 * (dims.LayerCount - 1));
        if (weightsPerThread > MaxWeightsPerThread)
        {
            reason = $"{weightsPerThread} weights per thread would not stay in registers (at most {MaxWeightsPerThread})";
            return null;
        }
        int units = Enumerable.Range(1, MaxUnitsPerBlock).FirstOrDefault(u => hidden % u == 0 && hidden / u <= multiprocessors);
        if (units == 0)
        {
            reason = $"{hidden} hidden units do not divide over {multiprocessors} multiprocessors in blocks of at most {MaxUnitsPerBlock}";
            return null;
        }
        int grid = hidden / units;
        if ((dims.VocabularySize + grid - 1) / grid > 4 * units)
        {
            reason = $"the vocabulary of {dims.VocabularySize} needs more than one projection row per warp over {grid} blocks of {4 * units} warps";
            return null;
        }
        var layout = new ResidentLayout(dims, units, 0);
        int streams = Enumerable.Range(1, StreamLimit).LastOrDefault(b => layout.SharedBytes(b) <= maxSharedBytes);
        if (streams == 0)
        {
            reason = $"one stream's state does not fit in {maxSharedBytes} bytes of shared memory per block";
            return null;
        }
        reason = "";
        return new ResidentLayout(dims, units, streams);
    }

    /// <summary>
    /// Words of the exchange buffer of a session of <paramref name="streams"/> streams: every layer's h, then the logits,
    /// each with room for one word per 128-byte line (16 words; the kernel's RES_HS and RES_LOGIT_STRIDE use part of it);
    /// one stream of a model of two or more layers adds layer 0's speculated h for every token, laid out like the h
    /// exchange (the one-stream generation builds' RES_SPEC_PUB).
    /// </summary>
    public long ExchangeWords(int streams) =>
        16L * ((long)_dims.LayerCount * _dims.HiddenSize + _dims.VocabularySize) * streams
        + (streams == 1 && _dims.LayerCount > 1 ? 16L * _dims.HiddenSize * _dims.VocabularySize : 0);

    /// <summary>Dynamic shared memory of one block for <paramref name="streams"/> streams, as the kernel lays it out.</summary>
    public int SharedBytes(int streams)
    {
        long h = _dims.HiddenSize, v = _dims.VocabularySize, layers = _dims.LayerCount, rows = Rows;
        long projectionRows = (v + Grid - 1) / Grid;
        long floats = projectionRows * h             // the block's projection rows
            + RoundUp4(projectionRows)               // their biases
            + v * rows                               // the block's rows of layer 0's input table
            + (layers - 1) * rows                    // the block's biases of the layers above
            + layers * streams * h                   // every layer's h
            + streams * rows                         // gate pre-activations
            + RoundUp4(streams * v)                  // logits
            + (streams == 1 ? rows : Math.Min(streams, rows)) * 3 * v   // sampling scratch: every warp samples one stream itself
            + streams                                // tokens
            + streams * v * (rows + 2L * UnitsPerBlock)   // layer 0 speculated for every token: gates, c and h
            + streams * UnitsPerBlock                     // layer 0's c
            + streams * rows;                             // layer 0's recurrent halves
        return (int)Math.Min(int.MaxValue, floats * sizeof(float));
    }

    /// <summary>The layout in words, for logs and benchmarks.</summary>
    public override string ToString() =>
        $"resident kernel for up to {MaxStreams} streams: {Grid} blocks x {Threads} threads, {UnitsPerBlock} units/block, LSTM weights in registers, projection rows in shared memory";

    private static long RoundUp4(long n) => (n + 3) & ~3L;
}
