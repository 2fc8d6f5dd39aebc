using System.Numerics;

namespace CharRnn.Inference.Cpu;

/// <summary>
/// A weight matrix packed for <see cref="GateKernel"/>: panels of four groups of <see cref="Vector{T}.Count"/> rows (a
/// layer's i, j, f, o gates of the same hidden units, or four consecutive groups of output rows), each panel
/// <c>[k][group][lane]</c> so that one step of the kernel reads the four row vectors of one column contiguously.
/// Rows past the matrix's end (padding up to a whole panel) are zero. Immutable once built.
/// </summary>
internal sealed class PackedPanels
{
    private PackedPanels(int panels, int depth, CpuPrecision precision, float[]? float32, uint[]? bfloat16)
    {
        Panels = panels;
        Depth = depth;
        Precision = precision;
        Float32 = float32;
        BFloat16 = bfloat16;
    }

    /// <summary>Number of panels (4 x lanes rows each).</summary>
    public int Panels { get; }

    /// <summary>Columns (the length of the input vector a row multiplies).</summary>
    public int Depth { get; }

    /// <summary>How the values are stored.</summary>
    public CpuPrecision Precision { get; }

    /// <summary>float32 panels, <c>[panel][k][group][lane]</c>; null unless <see cref="CpuPrecision.Float32"/>.</summary>
    public float[]? Float32 { get; }

    /// <summary>
    /// bfloat16 panels, <c>[panel][k][pair][lane]</c>, two values per element: groups 0 and 2 in the low halves of pairs
    /// 0 and 1, groups 1 and 3 in the high halves, so that a shift or a mask widens a whole vector to float32
    /// (<see cref="BFloat16Panel"/>). Null unless <see cref="CpuPrecision.BFloat16"/>.
    /// </summary>
    public uint[]? BFloat16 { get; }

    /// <summary>Bytes the panels occupy (what one pass over the matrix reads).</summary>
    public long Bytes => Float32 is { } f ? 4L * f.Length : 4L * BFloat16!.Length;

    /// <summary>
    /// Packs a matrix given by <paramref name="value"/>(row, k), where <paramref name="row"/>(panel, group, lane) names
    /// the matrix row at that place of the panel, or -1 for padding.
    /// </summary>
    public static PackedPanels Pack(int panels, int depth, CpuPrecision precision, Func<int, int, int, int> row, Func<int, int, float> value)
    {
        int lanes = Vector<float>.Count;
        if (precision == CpuPrecision.Float32)
        {
            var packed = new float[(long)panels * depth * 4 * lanes];
            long at = 0;
            for (int p = 0; p < panels; p++)
            {
                var rows = Rows(p, row, lanes);
                for (int k = 0; k < depth; k++)
                {
                    for (int i = 0; i < rows.Length; i++, at++)
                    {
                        packed[at] = rows[i] < 0 ? 0f : value(rows[i], k);
                    }
                }
            }
            return new PackedPanels(panels, depth, precision, packed, null);
        }
        var pairs = new uint[(long)panels * depth * 2 * lanes];
        long pos = 0;
        for (int p = 0; p < panels; p++)
        {
            var rows = Rows(p, row, lanes);
            for (int k = 0; k < depth; k++)
            {
                for (int pair = 0; pair < 2; pair++)
                {
                    for (int lane = 0; lane < lanes; lane++, pos++)
                    {
                        int low = rows[(2 * pair) * lanes + lane], high = rows[(2 * pair + 1) * lanes + lane];
                        uint lo = low < 0 ? 0u : ToBFloat16(value(low, k));
                        uint hi = high < 0 ? 0u : ToBFloat16(value(high, k));
                        pairs[pos] = lo | hi << 16;
                    }
                }
            }
        }
        return new PackedPanels(panels, depth, precision, null, pairs);
    }

    // The matrix rows of one panel in [group][lane] order.
    private static int[] Rows(int panel, Func<int, int, int, int> row, int lanes)
    {
        var rows = new int[4 * lanes];
        for (int g = 0; g < 4; g++)
        {
            for (int lane = 0; lane < lanes; lane++)
            {
                rows[g * lanes + lane] = row(panel, g, lane);
            }
        }
        return rows;
    }

    /// <summary>float32 to bfloat16 bits, rounded to nearest even (the weights hold no NaN: the loader rejects none, but a NaN stays a NaN).</summary>
    internal static uint ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (bits >> 16) | 0x40;
        }
        return (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16;
    }
}
