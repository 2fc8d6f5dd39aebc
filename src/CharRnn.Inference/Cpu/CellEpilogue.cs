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
    // Inlined into the kernel's loop over streams, so that the out-of-order core overlaps one stream's long chains of
    // dependent operations with the next stream's.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

    // sigmoid(x) = (1 + tanh(x / 2)) / 2.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> Sigmoid(Vector<float> x)
    {
        var half = new Vector<float>(0.5f);
        return Vector.FusedMultiplyAdd(Tanh(x * half), half, half);
    }

    /// <summary>
    /// tanh as a rational function, x p(x^2) / q(x^2) with p of degree 6 and q of degree 3 in x^2, on x clamped to
    /// [-7.9, 7.9] (beyond it tanh is 1 to within float32's rounding): Eigen's float tanh. No exponential and one
    /// division, where e^x costs a range reduction and a longer polynomial chain; the cell is a tenth of a step at 64
    /// streams, so its latency shows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector<float> Tanh(Vector<float> x)
    {
        x = Vector.MinNative(Vector.MaxNative(x, new Vector<float>(-7.90531110763549805f)), new Vector<float>(7.90531110763549805f));
        var x2 = x * x;
        var p = Vector.FusedMultiplyAdd(x2, new Vector<float>(-2.76076847742355e-16f), new Vector<float>(2.00018790482477e-13f));
        p = Vector.FusedMultiplyAdd(x2, p, new Vector<float>(-8.60467152213735e-11f));
        p = Vector.FusedMultiplyAdd(x2, p, new Vector<float>(5.12229709037114e-08f));
        p = Vector.FusedMultiplyAdd(x2, p, new Vector<float>(1.48572235717979e-05f));
        p = Vector.FusedMultiplyAdd(x2, p, new Vector<float>(6.37261928875436e-04f));
        p = Vector.FusedMultiplyAdd(x2, p, new Vector<float>(4.89352455891786e-03f));
        var q = Vector.FusedMultiplyAdd(x2, new Vector<float>(1.19825839466702e-06f), new Vector<float>(1.18534705686654e-04f));
        q = Vector.FusedMultiplyAdd(x2, q, new Vector<float>(2.26843463243900e-03f));
        q = Vector.FusedMultiplyAdd(x2, q, new Vector<float>(4.89352518554385e-03f));
        return x * p / q;
    }
}
