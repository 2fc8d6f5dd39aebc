using System.Numerics;
using System.Runtime.CompilerServices;

namespace CharRnn.Inference.Cpu;

/// <summary>How <see cref="GateKernel"/> reads one column of a panel (<see cref="PackedPanels"/>) as four float32 vectors.</summary>
internal interface IPanelFormat<T> where T : unmanaged
{
    /// <summary>Elements of <typeparamref name="T"/> per column of a panel.</summary>
    static abstract int ElementsPerColumn { get; }

    /// <summary>The four row groups of the column at <paramref name="column"/>, widened to float32 exactly.</summary>
    static abstract void Load(ref T column, out Vector<float> w0, out Vector<float> w1, out Vector<float> w2, out Vector<float> w3);
}

/// <summary>float32 panels: four plain loads.</summary>
internal readonly struct Float32Panel : IPanelFormat<float>
{
    public static int ElementsPerColumn => 4 * Vector<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(ref float column, out Vector<float> w0, out Vector<float> w1, out Vector<float> w2, out Vector<float> w3)
    {
        nuint lanes = (nuint)Vector<float>.Count;
        w0 = Vector.LoadUnsafe(ref column);
        w1 = Vector.LoadUnsafe(ref column, lanes);
        w2 = Vector.LoadUnsafe(ref column, 2 * lanes);
        w3 = Vector.LoadUnsafe(ref column, 3 * lanes);
    }
}

/// <summary>
/// bfloat16 panels, two values per 32-bit element: the low half shifted up and the high half masked are the two
/// float32 values exactly, one instruction per vector (no widening shuffles).
/// </summary>
internal readonly struct BFloat16Panel : IPanelFormat<uint>
{
    public static int ElementsPerColumn => 2 * Vector<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Load(ref uint column, out Vector<float> w0, out Vector<float> w1, out Vector<float> w2, out Vector<float> w3)
    {
        var high = new Vector<uint>(0xFFFF0000u);
        var pair0 = Vector.LoadUnsafe(ref column);
        var pair1 = Vector.LoadUnsafe(ref column, (nuint)Vector<uint>.Count);
        w0 = Vector.AsVectorSingle(Vector.ShiftLeft(pair0, 16));
        w1 = Vector.AsVectorSingle(pair0 & high);
        w2 = Vector.AsVectorSingle(Vector.ShiftLeft(pair1, 16));
        w3 = Vector.AsVectorSingle(pair1 & high);
    }
}
