using CharRnn.Inference.Conversion;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// Device weights of the many-stream path, laid out for its tiled kernels: each layer's [W | R] rows reordered unit by
/// unit (row r is gate r % 4 of unit r / 4, so the kernel's epilogue finds a unit's four gates in one thread and
/// updates its cell from registers), zero-padded to a multiple of <see cref="TileColumns"/> rows and of
/// <see cref="TileK"/> columns; the input table and biases permuted the same way; the projection zero-padded. The tensor
/// cores read the layer and projection weights as the precision's operands, so they are stored so: rounded to TF32
/// (still floats) for <see cref="CudaPrecision.Tf32"/>, as 16-bit values for <see cref="CudaPrecision.Float16"/> and
/// <see cref="CudaPrecision.BFloat16"/> (round to nearest even, as the device rounds h). The table and the biases,
/// added in float32, are always floats.
/// </summary>
internal sealed class BatchWeights
{
    // The widest column tile of the kernels (128 gate columns = 32 units) and their K tile (GBK).
    internal const int TileColumns = 128;
    internal const int TileK = 16;
    // The projection kernel's column tile.
    internal const int FcTileColumns = 32;

    /// <param name="network">The converted model.</param>
    /// <param name="precision">How the tensor cores read the weights (<see cref="CudaPrecision.Float32"/>: no tensor cores).</param>
    /// <param name="upload">Copies floats to the device and returns their address.</param>
    /// <param name="upload16">Copies 16-bit values to the device and returns their address (16-bit precisions only).</param>
    public BatchWeights(NetworkWeights network, CudaPrecision precision, Func<float[], ulong> upload, Func<ushort[], ulong> upload16)
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
            layers[k] = new BatchLayer(UploadOperands(w, precision, $"layer {k}", upload, upload16), upload(bias), input, width, paddedK);
        }
        Layers = layers;
        WidestPaddedK = layers.Max(layer => layer.PaddedK);
        float[] table = Layer0InputTable.Compute(network);
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
        FcWeightsPointer = UploadOperands(fc, precision, "the output projection", upload, upload16);
    }

    /// <summary>Gate rows of every layer after padding (a multiple of <see cref="TileColumns"/>).</summary>
    public int PaddedN { get; }

    public IReadOnlyList<BatchLayer> Layers { get; }

    /// <summary>The largest <see cref="BatchLayer.PaddedK"/> of the layers.</summary>
    public int WidestPaddedK { get; }

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

    /// <summary>
    /// The bits of the nearest bfloat16 value (the top 16 bits of a float32), ties to even: what the device's
    /// cvt.rn.bf16.f32 gives. A NaN stays a (quiet) NaN; infinities stay infinite.
    /// </summary>
    internal static ushort RoundToBFloat16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x40);
        }
        // Adding 0x7FFF plus the lowest kept bit rounds the dropped 16 bits to nearest, ties to the even kept value; a
        // carry may run into the exponent, which is the right result (up to infinity).
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>
    /// The bits of the nearest IEEE half-precision value, ties to even (.NET's conversion, as cvt.rn.f16.f32).
    /// </summary>
    /// <exception cref="ModelFormatException">A finite value beyond the half-precision range (it would become infinite).</exception>
    internal static ushort RoundToHalfBits(float value, string where)
    {
        var half = (Half)value;
        if (Half.IsInfinity(half) && float.IsFinite(value))
        {
            throw new ModelFormatException($"A weight of {where} is {value:R}, beyond the half-precision range (+-65504), so CudaPrecision.Float16 cannot hold it. Use CudaPrecision.BFloat16 (float32's range), Tf32 or Float32 for this model.");
        }
        return BitConverter.HalfToUInt16Bits(half);
    }

    private static ulong UploadOperands(float[] values, CudaPrecision precision, string where, Func<float[], ulong> upload, Func<ushort[], ulong> upload16)
    {
        switch (precision)
        {
            case CudaPrecision.Float16:
            case CudaPrecision.BFloat16:
                var narrow = new ushort[values.Length];
                for (int i = 0; i < values.Length; i++)
                {
                    narrow[i] = precision == CudaPrecision.Float16 ? RoundToHalfBits(values[i], where) : RoundToBFloat16Bits(values[i]);
                }
                return upload16(narrow);
            case CudaPrecision.Tf32:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = RoundToTf32(values[i]);
                }
                return upload(values);
            default:
                return upload(values);
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
