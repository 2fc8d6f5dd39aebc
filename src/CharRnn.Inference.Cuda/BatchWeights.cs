using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// Device weights of the many-stream path, laid out for its tiled kernels: each layer's [W | R] rows reordered unit by
/// unit (row r is gate r % 4 of unit r / 4, so the kernel's epilogue finds a unit's four gates in one thread and
/// updates its cell from registers), zero-padded to a multiple of <see cref="TileColumns"/> rows and of
/// <see cref="TileK"/> columns; the input table and biases permuted the same way; the projection zero-padded. For
/// <see cref="CudaPrecision.Tf32"/> the layer and projection weights are stored rounded to TF32, as the tensor cores
/// read them (the table and the biases, added in float32, are not).
/// </summary>
internal sealed class BatchWeights
{
    // The widest column tile of the kernels (128 gate columns = 32 units) and their K tile (GBK).
    internal const int TileColumns = 128;
    internal const int TileK = 16;
    // The projection kernel's column tile.
    internal const int FcTileColumns = 32;

    public BatchWeights(NetworkWeights network, Func<float[], ulong> upload, bool roundToTf32)
    {
        var dims = network.Dimensions;
        int hidden = dims.HiddenSize, vocab = dims.VocabularySize;
        PaddedN = RoundUp(4 * hidden, TileColumns);
        var layers = new BatchLayer[dims.LayerCount];
        for (int k = 0; k < dims.LayerCount; k++)
        {
            var layer = network.Layers[k];
            int input = k == 0 ? 0 : layer.InputSize;
            int width = input + hidden, paddedK = RoundUp(width, TileK);
            var w = new float[(long)PaddedN * paddedK];
            var bias = new float[PaddedN];
            for (int row = 0; row < PaddedN; row++)
            {
                int original = OriginalRow(row, hidden);
                if (original < 0)
                {
                    continue;
                }
                var destination = w.AsSpan(row * paddedK, width);
                if (input > 0)
                {
                    layer.InputWeights.Slice(original * input, input).CopyTo(destination);
                }
                layer.RecurrentWeights.Slice(original * hidden, hidden).CopyTo(destination[input..]);
                bias[row] = layer.InputBias[original] + layer.RecurrentBias[original];
            }
            if (roundToTf32)
            {
                RoundToTf32(w);
            }
            layers[k] = new BatchLayer(upload(w), upload(bias), input, width, paddedK);
        }
        Layers = layers;
        float[] table = CpuInferenceEngine.BuildInputTable(network);
        var permuted = new float[(long)vocab * PaddedN];
        for (int v = 0; v < vocab; v++)
        {
            for (int row = 0; row < PaddedN; row++)
            {
                int original = OriginalRow(row, hidden);
                if (original >= 0)
                {
                    permuted[(long)v * PaddedN + row] = table[(long)v * 4 * hidden + original];
                }
            }
        }
        TablePointer = upload(permuted);
        FcPaddedN = RoundUp(vocab, FcTileColumns);
        FcPaddedK = RoundUp(hidden, TileK);
        var fc = new float[(long)FcPaddedN * FcPaddedK];
        for (int v = 0; v < vocab; v++)
        {
            network.FcWeights.Slice(v * hidden, hidden).CopyTo(fc.AsSpan(v * FcPaddedK, hidden));
        }
        if (roundToTf32)
        {
            RoundToTf32(fc);
        }
        FcWeightsPointer = upload(fc);
    }

    /// <summary>Gate rows of every layer after padding (a multiple of <see cref="TileColumns"/>).</summary>
    public int PaddedN { get; }

    public IReadOnlyList<BatchLayer> Layers { get; }

    /// <summary>Layer 0's permuted input table, <c>[vocab][PaddedN]</c>.</summary>
    public ulong TablePointer { get; }

    public ulong FcWeightsPointer { get; }

    public int FcPaddedN { get; }

    public int FcPaddedK { get; }

    /// <summary>
    /// Rounds to the nearest TF32 value (10 explicit mantissa bits), ties away from zero: what the device's
    /// cvt.rna.tf32.f32 does to the other operand, so both are rounded alike. Infinities and NaNs are left as they are.
    /// </summary>
    internal static float RoundToTf32(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7F800000u) == 0x7F800000u)
        {
            return value;
        }
        // Half a TF32 unit in the last place added to the magnitude, then the 13 low mantissa bits dropped.
        return BitConverter.UInt32BitsToSingle((bits + 0x1000u) & 0xFFFFE000u);
    }

    private static void RoundToTf32(float[] values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = RoundToTf32(values[i]);
        }
    }

    private static int RoundUp(int n, int multiple) => (n + multiple - 1) / multiple * multiple;

    // Permuted row -> original gate row (gate * H + unit), or -1 for padding.
    private static int OriginalRow(int row, int hidden)
    {
        int unit = row >> 2, gate = row & 3;
        return unit < hidden ? gate * hidden + unit : -1;
    }
}
