using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CharRnn.Inference.Cpu;

/// <summary>
/// The LSTM cell on one panel's units of one stream, run by <see cref="GateKernel"/> right after it leaves the panel's
/// gates in cache: <c>c' = c * sigmoid(f) + sigmoid(i) * tanh(j)</c>, <c>h' = tanh(c') * sigmoid(o)</c> (FACTS.md
/// section 2; the forget bias is already in f's bias). Gates are <c>[stream][4][padded]</c>, c and h <c>[stream][padded]</c>.
/// </summary>
internal readonly struct CellEpilogue(float[] gates, float[] c, float[] hNext, int padded) : IPanelEpilogue
{
    public void Finish(int panel, int stream)
    {
        nuint stride = (nuint)padded;
        int lanes = Vector<float>.Count;
        ref float g = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(gates), (nint)stream * 4 * padded + panel * lanes);
        nint at = (nint)stream * padded + panel * lanes;
        ref float cs = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(c), at);
        var i = Sigmoid(Vector.LoadUnsafe(ref g));
        var j = Tanh(Vector.LoadUnsafe(ref g, stride));
        var f = Sigmoid(Vector.LoadUnsafe(ref g, 2 * stride));
        var o = Sigmoid(Vector.LoadUnsafe(ref g, 3 * stride));
        var cNew = Vector.FusedMultiplyAdd(i, j, Vector.LoadUnsafe(ref cs) * f);
        cNew.StoreUnsafe(ref cs);
        (Tanh(cNew) * o).StoreUnsafe(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(hNext), at));
    }

    // 1 / (1 + e^-x); Exp saturates, so very negative x gives 0 and very positive x gives 1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> Sigmoid(Vector<float> x) => Vector<float>.One / (Vector<float>.One + Exp(-x));

    // tanh |x| = (1 - e^-2|x|) / (1 + e^-2|x|), given x's sign bit; e^-2|x| is in (0, 1], so nothing overflows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> Tanh(Vector<float> x)
    {
        var sign = Vector.AsVectorUInt32(x) & new Vector<uint>(0x80000000u);
        var e = Exp(Vector.AsVectorSingle(Vector.AsVectorUInt32(x) | new Vector<uint>(0x80000000u)) * new Vector<float>(2f));
        var t = (Vector<float>.One - e) / (Vector<float>.One + e);
        return Vector.AsVectorSingle(Vector.AsVectorUInt32(t) | sign);
    }

    /// <summary>
    /// e^x in float32 for x clamped to [-87, 88]: x = n ln 2 + r with |r| &lt;= ln 2 / 2 (ln 2 split in two so that r is
    /// exact), e^r by its Taylor series to r^7 (truncation below 5e-9 relative, under float32's rounding), times 2^n
    /// built in the exponent bits. About 15 instructions a vector, where the library's Vector.Exp works in float64 (the
    /// native min, max and conversion: the inputs are never NaN, and n is always within int's range).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> Exp(Vector<float> x)
    {
        x = Vector.MinNative(Vector.MaxNative(x, new Vector<float>(-87f)), new Vector<float>(88f));
        var n = Vector.Round(x * new Vector<float>(1.44269504f));
        var r = Vector.FusedMultiplyAdd(n, new Vector<float>(-0.693145752f), x);
        r = Vector.FusedMultiplyAdd(n, new Vector<float>(-1.42860677e-6f), r);
        var p = new Vector<float>(1f / 5040f);
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1f / 720f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1f / 120f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1f / 24f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1f / 6f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(0.5f));
        p = Vector.FusedMultiplyAdd(p, r, Vector<float>.One);
        p = Vector.FusedMultiplyAdd(p, r, Vector<float>.One);
        var scale = Vector.ShiftLeft(Vector.ConvertToInt32Native(n) + new Vector<int>(127), 23);
        return p * Vector.AsVectorSingle(scale);
    }
}
