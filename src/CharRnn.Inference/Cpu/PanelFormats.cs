using System.Numerics;
using System.Runtime.CompilerServices;

namespace CharRnn.Inference.Cpu;

/// <summary>How <see cref="GateKernel"/> reads one column of a panel (<see cref="PackedPanels"/>) as four float32 vectors.</summary>
internal interface IPanelFormat<T> where T : unmanaged
{
    /// <summary>Elements of <typeparamref name="T"/> per column of a panel.</summary>
    static abstract int ElementsPerColumn { get; }

    /// <summary>
    /// Row group <paramref name="group"/> (0 to 3, a constant at every call site) of the column at <paramref name="column"/>,
    /// widened to float32 exactly. One group at a time, so that the kernel holds one weight vector at once and its
    /// twelve accumulators stay in registers.
    /// </summary>
    static abstract Vector<float> Load(ref T column, int group);
}

/// <summary>float32 panels: four plain loads.</summary>
internal readonly struct Float32Panel : IPanelFormat<float>
{
    public static int ElementsPerColumn => 4 * Vector<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load(ref float column, int group) => Vector.LoadUnsafe(ref column, (nuint)(group * Vector<float>.Count));
}

/// <summary>
/// bfloat16 panels, two values per 32-bit element: the low half shifted up and the high half masked are the two
/// float32 values exactly, one instruction per vector (no widening shuffles).
/// </summary>
internal readonly struct BFloat16Panel : IPanelFormat<uint>
{
    public static int ElementsPerColumn => 2 * Vector<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Load(ref uint column, int group)
    {
        var pair = Vector.LoadUnsafe(ref column, (nuint)((group >> 1) * Vector<uint>.Count));
        return Vector.AsVectorSingle((group & 1) == 0 ? Vector.ShiftLeft(pair, 16) : pair & new Vector<uint>(0xFFFF0000u));
    }
}
