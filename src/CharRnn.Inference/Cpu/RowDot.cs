using System.Numerics;
using System.Runtime.InteropServices;

namespace CharRnn.Inference.Cpu;

/// <summary>
/// Dot products of one weight row with the vectors of several streams. With many streams the CPU engine is compute-bound,
/// and one dot product per (row, stream) pair reloads the row and reduces horizontally every time;
/// here four streams share each load of the row and the reductions happen once per row and stream.
/// </summary>
internal static class RowDot
{
    /// <summary>
    /// Writes <c>dot(row, x[s])</c> for <c>s</c> in <c>[0, count)</c> to <c>result[s * resultStride]</c> through
    /// <paramref name="store"/>, where stream s's vector is <c>x[s * row.Length ..]</c>.
    /// </summary>
    public static void Dots<TStore>(ReadOnlySpan<float> row, ReadOnlySpan<float> x, int count, ref TStore store)
        where TStore : struct, IDotStore
    {
        int width = row.Length, s = 0;
        for (; s + 4 <= count; s += 4)
        {
            Dot4(row, x.Slice(s * width, 4 * width), out float d0, out float d1, out float d2, out float d3);
            store.Store(s, d0);
            store.Store(s + 1, d1);
            store.Store(s + 2, d2);
            store.Store(s + 3, d3);
        }
        for (; s < count; s++)
        {
            store.Store(s, Dot1(row, x.Slice(s * width, width)));
        }
    }

    // The same additions in the same order as one lane of Dot4, so that a stream's dot product is bit for bit the same
    // whether it falls in a group of four or among the last few (slot independence: see EngineSession.Step).
    private static float Dot1(ReadOnlySpan<float> row, ReadOnlySpan<float> x)
    {
        int width = row.Length, lanes = Vector<float>.Count, k = 0;
        var a = Vector<float>.Zero;
        if (width % lanes == 0)
        {
            var w = MemoryMarshal.Cast<float, Vector<float>>(row);
            var xv = MemoryMarshal.Cast<float, Vector<float>>(x);
            for (int i = 0; i < w.Length; i++)
            {
                a = Vector.FusedMultiplyAdd(w[i], xv[i], a);
            }
            k = width;
        }
        float d = Vector.Sum(a);
        for (; k < width; k++)
        {
            d += row[k] * x[k];
        }
        return d;
    }

    private static void Dot4(ReadOnlySpan<float> row, ReadOnlySpan<float> x4, out float d0, out float d1, out float d2, out float d3)
    {
        int width = row.Length, lanes = Vector<float>.Count, k = 0;
        var a0 = Vector<float>.Zero;
        var a1 = Vector<float>.Zero;
        var a2 = Vector<float>.Zero;
        var a3 = Vector<float>.Zero;
        var w = MemoryMarshal.Cast<float, Vector<float>>(row);
        if (width % lanes == 0)
        {
            var x0 = MemoryMarshal.Cast<float, Vector<float>>(x4[..width]);
            var x1 = MemoryMarshal.Cast<float, Vector<float>>(x4.Slice(width, width));
            var x2 = MemoryMarshal.Cast<float, Vector<float>>(x4.Slice(2 * width, width));
            var x3 = MemoryMarshal.Cast<float, Vector<float>>(x4.Slice(3 * width, width));
            for (int i = 0; i < w.Length; i++)
            {
                var wi = w[i];
                a0 = Vector.FusedMultiplyAdd(wi, x0[i], a0);
                a1 = Vector.FusedMultiplyAdd(wi, x1[i], a1);
                a2 = Vector.FusedMultiplyAdd(wi, x2[i], a2);
                a3 = Vector.FusedMultiplyAdd(wi, x3[i], a3);
            }
            k = width;
        }
        d0 = Vector.Sum(a0);
        d1 = Vector.Sum(a1);
        d2 = Vector.Sum(a2);
        d3 = Vector.Sum(a3);
        // Widths that are not a multiple of the vector size (small test models) take the scalar path.
        for (; k < width; k++)
        {
            float wk = row[k];
            d0 += wk * x4[k];
            d1 += wk * x4[width + k];
            d2 += wk * x4[2 * width + k];
            d3 += wk * x4[3 * width + k];
        }
    }
}

/// <summary>Where <see cref="RowDot.Dots"/> puts the dot product of stream s (a struct, so the call inlines).</summary>
internal interface IDotStore
{
    void Store(int stream, float dot);
}
