using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CharRnn.Inference.Cpu;

/// <summary>
/// What <see cref="GateKernel"/> computes: <c>Out[s] = Init[s] + Weights x (XA[s] ++ XB[s])</c> for panels of rows and a
/// prefix of the streams, where the first <see cref="DepthA"/> columns multiply XA and the rest XB. Stream s's rows start at
/// <c>Out[s * OutStride]</c> (and <c>Init[InitRows[s] * InitRowStride]</c>, row 0 when InitRows is null); group g of panel
/// b is at offset <c>b * PanelStride + g * GroupStride</c> in both.
/// </summary>
internal struct KernelJob
{
    public PackedPanels Weights;
    public float[] XA;
    public int DepthA;
    public float[]? XB;
    public int XStride;
    public float[] Init;
    public int[]? InitRows;
    public int InitRowStride;
    public float[] Out;
    public int OutStride;
    public int GroupStride;
    public int PanelStride;
}

/// <summary>What to do with a panel of one stream once its rows are complete (the LSTM cell update, or nothing).</summary>
internal interface IPanelEpilogue
{
    void Finish(int panel, int stream);
}

/// <summary>
/// The CPU engine's matrix kernel: register-blocked, four row vectors (a panel) times three streams per inner loop, or
/// three panels times one stream, over weights packed once (<see cref="PackedPanels"/>).
/// </summary>
/// <remarks>
/// Every (row, stream) result is one lane of one accumulator that starts at its Init value and takes one fused
/// multiply-add per column, in column order: <c>a = fma(w[row][k], x[s][k], a)</c> for k = 0, 1, ... Which block a stream
/// falls in (three streams, or alone among the last one or two), how the columns are split into cache blocks (the
/// accumulators are stored and reloaded between blocks, which is exact) and how the panels are split between threads
/// change nothing in that sequence, so a stream's numbers do not depend on its slot or on how many streams are active
/// (the contract of <see cref="Engine.EngineSession.Step"/>). It also needs no horizontal reduction: a panel's four
/// vectors are four groups of rows of one stream, stored as they are. One stream alone is a chain of one
/// multiply-add per column per row, so the single-stream path keeps twelve accumulators (three panels) in flight.
/// Measured against ONNX Runtime in docs/perf/CPU.md.
/// </remarks>
internal static class GateKernel
{
    // Columns per cache block when streams share a panel: the block's weights (128 columns x 4 vectors) stay in L1 while
    // every group of three streams passes over them.
    private const int ColumnBlock = 128;

    /// <summary>Computes panels [<paramref name="panelFrom"/>, <paramref name="panelTo"/>) for streams [0, <paramref name="streams"/>).</summary>
    public static void Run<TEpilogue>(ref readonly KernelJob job, int panelFrom, int panelTo, int streams, ref TEpilogue epilogue)
        where TEpilogue : struct, IPanelEpilogue
    {
        if (job.Weights.Float32 is { } f32)
        {
            Run<float, Float32Panel, TEpilogue>(in job, f32, panelFrom, panelTo, streams, ref epilogue);
        }
        else
        {
            Run<uint, BFloat16Panel, TEpilogue>(in job, job.Weights.BFloat16!, panelFrom, panelTo, streams, ref epilogue);
        }
    }

    private static void Run<T, TFormat, TEpilogue>(ref readonly KernelJob job, T[] weights, int panelFrom, int panelTo, int streams, ref TEpilogue epilogue)
        where T : unmanaged
        where TFormat : IPanelFormat<T>
        where TEpilogue : struct, IPanelEpilogue
    {
        int depth = job.Weights.Depth, grouped = streams - streams % 3, e = TFormat.ElementsPerColumn;
        if (grouped > 0)
        {
            // Narrow weights are widened once per cache block into float32 and shared by every group of streams; the
            // widening is exact, so the multiply-adds are the same as when a lone stream widens them as it goes.
            // (On a 64-byte boundary: the stack is only 16-byte aligned, and vector loads that straddle cache lines are slower.)
            Span<float> widened = typeof(T) == typeof(float) ? default : Aligned(stackalloc float[ColumnBlock * Float32Panel.ElementsPerColumn + 16]);
            for (int b = panelFrom; b < panelTo; b++)
            {
                ref T panel = ref Panel(in job, weights, b, e);
                for (int k0 = 0; k0 < depth; k0 += ColumnBlock)
                {
                    int k1 = Math.Min(depth, k0 + ColumnBlock);
                    ref T column = ref Unsafe.Add(ref panel, (nint)k0 * e);
                    if (typeof(T) == typeof(float))
                    {
                        for (int s = 0; s < grouped; s += 3)
                        {
                            Streams3<T, TFormat>(in job, ref column, b, s, k0, k1);
                        }
                    }
                    else
                    {
                        Widen<T, TFormat>(ref column, k1 - k0, widened);
                        for (int s = 0; s < grouped; s += 3)
                        {
                            Streams3<float, Float32Panel>(in job, ref MemoryMarshal.GetReference(widened), b, s, k0, k1);
                        }
                    }
                }
                for (int s = 0; s < grouped; s++)
                {
                    epilogue.Finish(b, s);
                }
            }
        }
        for (int s = grouped; s < streams; s++)
        {
            int b = panelFrom;
            for (; b + 3 <= panelTo; b += 3)
            {
                Panels3<T, TFormat>(in job, weights, b, s);
                epilogue.Finish(b, s);
                epilogue.Finish(b + 1, s);
                epilogue.Finish(b + 2, s);
            }
            for (; b < panelTo; b++)
            {
                Panel1<T, TFormat>(in job, weights, b, s);
                epilogue.Finish(b, s);
            }
        }
    }

    // The part of a stack buffer that starts on a 64-byte boundary (the stack does not move).
    private static unsafe Span<float> Aligned(Span<float> buffer)
    {
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(buffer));
        int skip = (int)((64 - (address & 63)) & 63) / sizeof(float);
        return buffer[skip..(buffer.Length - 16 + skip)];
    }

    // Columns of a panel to float32 panel columns.
    private static void Widen<T, TFormat>(ref T column, int columns, Span<float> destination)
        where T : unmanaged
        where TFormat : IPanelFormat<T>
    {
        int e = TFormat.ElementsPerColumn, lanes = Vector<float>.Count;
        ref float d = ref MemoryMarshal.GetReference(destination);
        for (int k = 0; k < columns; k++)
        {
            ref T c = ref Unsafe.Add(ref column, (nint)k * e);
            ref float o = ref Unsafe.Add(ref d, (nint)k * 4 * lanes);
            TFormat.Load(ref c, 0).StoreUnsafe(ref o);
            TFormat.Load(ref c, 1).StoreUnsafe(ref o, (nuint)lanes);
            TFormat.Load(ref c, 2).StoreUnsafe(ref o, (nuint)(2 * lanes));
            TFormat.Load(ref c, 3).StoreUnsafe(ref o, (nuint)(3 * lanes));
        }
    }

    // Stream s's value of panel b's first row group: the Init value before the first column, the partial sum after it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Start(ref readonly KernelJob job, int s, int b, bool first)
    {
        if (first)
        {
            int row = job.InitRows is { } rows ? rows[s] : 0;
            return ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(job.Init), (nint)row * job.InitRowStride + (nint)b * job.PanelStride);
        }
        return ref Result(in job, s, b);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Result(ref readonly KernelJob job, int s, int b) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(job.Out), (nint)s * job.OutStride + (nint)b * job.PanelStride);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref T Panel<T>(ref readonly KernelJob job, T[] weights, int b, int elementsPerColumn) where T : unmanaged =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(weights), (nint)b * job.Weights.Depth * elementsPerColumn);

    // Columns [from, until) of one of the two inputs: the first DepthA columns come from XA, the rest from XB.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Part(ref readonly KernelJob job, int part, int k0, int k1, out int from, out int until, out float[] x, out int shift)
    {
        if (part == 0)
        {
            from = k0;
            until = Math.Min(k1, job.DepthA);
            x = job.XA;
            shift = 0;
        }
        else
        {
            from = Math.Max(k0, job.DepthA);
            until = k1;
            x = job.XB!;
            shift = job.DepthA;
        }
        return from < until;
    }

    // Columns [k0, k1) of panel b for streams s, s + 1, s + 2; column points at column k0.
    private static void Streams3<T, TFormat>(ref readonly KernelJob job, ref T column, int b, int s, int k0, int k1)
        where T : unmanaged
        where TFormat : IPanelFormat<T>
    {
        nuint g = (nuint)job.GroupStride;
        bool first = k0 == 0;
        ref float i0 = ref Start(in job, s, b, first);
        ref float i1 = ref Start(in job, s + 1, b, first);
        ref float i2 = ref Start(in job, s + 2, b, first);
        Vector<float> a00 = Vector.LoadUnsafe(ref i0), a01 = Vector.LoadUnsafe(ref i0, g), a02 = Vector.LoadUnsafe(ref i0, 2 * g), a03 = Vector.LoadUnsafe(ref i0, 3 * g);
        Vector<float> a10 = Vector.LoadUnsafe(ref i1), a11 = Vector.LoadUnsafe(ref i1, g), a12 = Vector.LoadUnsafe(ref i1, 2 * g), a13 = Vector.LoadUnsafe(ref i1, 3 * g);
        Vector<float> a20 = Vector.LoadUnsafe(ref i2), a21 = Vector.LoadUnsafe(ref i2, g), a22 = Vector.LoadUnsafe(ref i2, 2 * g), a23 = Vector.LoadUnsafe(ref i2, 3 * g);
        int e = TFormat.ElementsPerColumn;
        for (int part = 0; part < 2; part++)
        {
            if (!Part(in job, part, k0, k1, out int from, out int until, out float[] x, out int shift))
            {
                continue;
            }
            ref float x0 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(x), (nint)s * job.XStride + from - shift);
            ref float x1 = ref Unsafe.Add(ref x0, job.XStride);
            ref float x2 = ref Unsafe.Add(ref x1, job.XStride);
            ref T w = ref Unsafe.Add(ref column, (nint)(from - k0) * e);
            nint k = 0, n = until - from;
            // Two columns per iteration (less loop overhead); each accumulator still takes its columns in order.
            for (; k + 2 <= n; k += 2)
            {
                var b0 = new Vector<float>(Unsafe.Add(ref x0, k));
                var b1 = new Vector<float>(Unsafe.Add(ref x1, k));
                var b2 = new Vector<float>(Unsafe.Add(ref x2, k));
                var wk = TFormat.Load(ref w, 0);
                a00 = Vector.FusedMultiplyAdd(wk, b0, a00);
                a10 = Vector.FusedMultiplyAdd(wk, b1, a10);
                a20 = Vector.FusedMultiplyAdd(wk, b2, a20);
                wk = TFormat.Load(ref w, 1);
                a01 = Vector.FusedMultiplyAdd(wk, b0, a01);
                a11 = Vector.FusedMultiplyAdd(wk, b1, a11);
                a21 = Vector.FusedMultiplyAdd(wk, b2, a21);
                wk = TFormat.Load(ref w, 2);
                a02 = Vector.FusedMultiplyAdd(wk, b0, a02);
                a12 = Vector.FusedMultiplyAdd(wk, b1, a12);
                a22 = Vector.FusedMultiplyAdd(wk, b2, a22);
                wk = TFormat.Load(ref w, 3);
                a03 = Vector.FusedMultiplyAdd(wk, b0, a03);
                a13 = Vector.FusedMultiplyAdd(wk, b1, a13);
                a23 = Vector.FusedMultiplyAdd(wk, b2, a23);
                b0 = new Vector<float>(Unsafe.Add(ref x0, k + 1));
                b1 = new Vector<float>(Unsafe.Add(ref x1, k + 1));
                b2 = new Vector<float>(Unsafe.Add(ref x2, k + 1));
                wk = TFormat.Load(ref Unsafe.Add(ref w, e), 0);
                a00 = Vector.FusedMultiplyAdd(wk, b0, a00);
                a10 = Vector.FusedMultiplyAdd(wk, b1, a10);
                a20 = Vector.FusedMultiplyAdd(wk, b2, a20);
                wk = TFormat.Load(ref Unsafe.Add(ref w, e), 1);
                a01 = Vector.FusedMultiplyAdd(wk, b0, a01);
                a11 = Vector.FusedMultiplyAdd(wk, b1, a11);
                a21 = Vector.FusedMultiplyAdd(wk, b2, a21);
                wk = TFormat.Load(ref Unsafe.Add(ref w, e), 2);
                a02 = Vector.FusedMultiplyAdd(wk, b0, a02);
                a12 = Vector.FusedMultiplyAdd(wk, b1, a12);
                a22 = Vector.FusedMultiplyAdd(wk, b2, a22);
                wk = TFormat.Load(ref Unsafe.Add(ref w, e), 3);
                a03 = Vector.FusedMultiplyAdd(wk, b0, a03);
                a13 = Vector.FusedMultiplyAdd(wk, b1, a13);
                a23 = Vector.FusedMultiplyAdd(wk, b2, a23);
                w = ref Unsafe.Add(ref w, 2 * e);
            }
            if (k < n)
            {
                var b0 = new Vector<float>(Unsafe.Add(ref x0, k));
                var b1 = new Vector<float>(Unsafe.Add(ref x1, k));
                var b2 = new Vector<float>(Unsafe.Add(ref x2, k));
                var wk = TFormat.Load(ref w, 0);
                a00 = Vector.FusedMultiplyAdd(wk, b0, a00);
                a10 = Vector.FusedMultiplyAdd(wk, b1, a10);
                a20 = Vector.FusedMultiplyAdd(wk, b2, a20);
                wk = TFormat.Load(ref w, 1);
                a01 = Vector.FusedMultiplyAdd(wk, b0, a01);
                a11 = Vector.FusedMultiplyAdd(wk, b1, a11);
                a21 = Vector.FusedMultiplyAdd(wk, b2, a21);
                wk = TFormat.Load(ref w, 2);
                a02 = Vector.FusedMultiplyAdd(wk, b0, a02);
                a12 = Vector.FusedMultiplyAdd(wk, b1, a12);
                a22 = Vector.FusedMultiplyAdd(wk, b2, a22);
                wk = TFormat.Load(ref w, 3);
                a03 = Vector.FusedMultiplyAdd(wk, b0, a03);
                a13 = Vector.FusedMultiplyAdd(wk, b1, a13);
                a23 = Vector.FusedMultiplyAdd(wk, b2, a23);
            }
        }
        ref float o0 = ref Result(in job, s, b);
        ref float o1 = ref Result(in job, s + 1, b);
        ref float o2 = ref Result(in job, s + 2, b);
        a00.StoreUnsafe(ref o0); a01.StoreUnsafe(ref o0, g); a02.StoreUnsafe(ref o0, 2 * g); a03.StoreUnsafe(ref o0, 3 * g);
        a10.StoreUnsafe(ref o1); a11.StoreUnsafe(ref o1, g); a12.StoreUnsafe(ref o1, 2 * g); a13.StoreUnsafe(ref o1, 3 * g);
        a20.StoreUnsafe(ref o2); a21.StoreUnsafe(ref o2, g); a22.StoreUnsafe(ref o2, 2 * g); a23.StoreUnsafe(ref o2, 3 * g);
    }

    private static void Panels3<T, TFormat>(ref readonly KernelJob job, T[] weights, int b, int s)
        where T : unmanaged
        where TFormat : IPanelFormat<T>
    {
        nuint g = (nuint)job.GroupStride, p = (nuint)job.PanelStride;
        ref float i = ref Start(in job, s, b, first: true);
        Vector<float> a00 = Vector.LoadUnsafe(ref i), a01 = Vector.LoadUnsafe(ref i, g), a02 = Vector.LoadUnsafe(ref i, 2 * g), a03 = Vector.LoadUnsafe(ref i, 3 * g);
        Vector<float> a10 = Vector.LoadUnsafe(ref i, p), a11 = Vector.LoadUnsafe(ref i, p + g), a12 = Vector.LoadUnsafe(ref i, p + 2 * g), a13 = Vector.LoadUnsafe(ref i, p + 3 * g);
        Vector<float> a20 = Vector.LoadUnsafe(ref i, 2 * p), a21 = Vector.LoadUnsafe(ref i, 2 * p + g), a22 = Vector.LoadUnsafe(ref i, 2 * p + 2 * g), a23 = Vector.LoadUnsafe(ref i, 2 * p + 3 * g);
        int e = TFormat.ElementsPerColumn;
        nint panelLength = (nint)job.Weights.Depth * e;
        ref T panel = ref Panel(in job, weights, b, e);
        for (int part = 0; part < 2; part++)
        {
            if (!Part(in job, part, 0, job.Weights.Depth, out int from, out int until, out float[] x, out int shift))
            {
                continue;
            }
            ref float x0 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(x), (nint)s * job.XStride + from - shift);
            ref T w = ref Unsafe.Add(ref panel, (nint)from * e);
            for (nint k = 0, n = until - from; k < n; k++)
            {
                var xk = new Vector<float>(Unsafe.Add(ref x0, k));
                ref T w1 = ref Unsafe.Add(ref w, panelLength);
                ref T w2 = ref Unsafe.Add(ref w, 2 * panelLength);
                a00 = Vector.FusedMultiplyAdd(TFormat.Load(ref w, 0), xk, a00);
                a01 = Vector.FusedMultiplyAdd(TFormat.Load(ref w, 1), xk, a01);
                a02 = Vector.FusedMultiplyAdd(TFormat.Load(ref w, 2), xk, a02);
                a03 = Vector.FusedMultiplyAdd(TFormat.Load(ref w, 3), xk, a03);
                a10 = Vector.FusedMultiplyAdd(TFormat.Load(ref w1, 0), xk, a10);
                a11 = Vector.FusedMultiplyAdd(TFormat.Load(ref w1, 1), xk, a11);
                a12 = Vector.FusedMultiplyAdd(TFormat.Load(ref w1, 2), xk, a12);
                a13 = Vector.FusedMultiplyAdd(TFormat.Load(ref w1, 3), xk, a13);
                a20 = Vector.FusedMultiplyAdd(TFormat.Load(ref w2, 0), xk, a20);
                a21 = Vector.FusedMultiplyAdd(TFormat.Load(ref w2, 1), xk, a21);
                a22 = Vector.FusedMultiplyAdd(TFormat.Load(ref w2, 2), xk, a22);
                a23 = Vector.FusedMultiplyAdd(TFormat.Load(ref w2, 3), xk, a23);
                w = ref Unsafe.Add(ref w, e);
            }
        }
        ref float o = ref Result(in job, s, b);
        a00.StoreUnsafe(ref o); a01.StoreUnsafe(ref o, g); a02.StoreUnsafe(ref o, 2 * g); a03.StoreUnsafe(ref o, 3 * g);
        a10.StoreUnsafe(ref o, p); a11.StoreUnsafe(ref o, p + g); a12.StoreUnsafe(ref o, p + 2 * g); a13.StoreUnsafe(ref o, p + 3 * g);
        a20.StoreUnsafe(ref o, 2 * p); a21.StoreUnsafe(ref o, 2 * p + g); a22.StoreUnsafe(ref o, 2 * p + 2 * g); a23.StoreUnsafe(ref o, 2 * p + 3 * g);
    }

    private static void Panel1<T, TFormat>(ref readonly KernelJob job, T[] weights, int b, int s)
        where T : unmanaged
        where TFormat : IPanelFormat<T>
    {
        nuint g = (nuint)job.GroupStride;
        ref float i = ref Start(in job, s, b, first: true);
        Vector<float> a0 = Vector.LoadUnsafe(ref i), a1 = Vector.LoadUnsafe(ref i, g), a2 = Vector.LoadUnsafe(ref i, 2 * g), a3 = Vector.LoadUnsafe(ref i, 3 * g);
        int e = TFormat.ElementsPerColumn;
        ref T panel = ref Panel(in job, weights, b, e);
        for (int part = 0; part < 2; part++)
        {
            if (!Part(in job, part, 0, job.Weights.Depth, out int from, out int until, out float[] x, out int shift))
            {
                continue;
            }
            ref float x0 = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(x), (nint)s * job.XStride + from - shift);
            ref T w = ref Unsafe.Add(ref panel, (nint)from * e);
            for (nint k = 0, n = until - from; k < n; k++)
            {
                var xk = new Vector<float>(Unsafe.Add(ref x0, k));
                a0 = Vector.FusedMultiplyAdd(TFormat.Load(ref w, 0), xk, a0);
                a1 = Vector.FusedMultiplyAdd(TFormat.Load(ref w, 1), xk, a1);
                a2 = Vector.FusedMultiplyAdd(TFormat.Load(ref w, 2), xk, a2);
                a3 = Vector.FusedMultiplyAdd(TFormat.Load(ref w, 3), xk, a3);
                w = ref Unsafe.Add(ref w, e);
            }
        }
        ref float o = ref Result(in job, s, b);
        a0.StoreUnsafe(ref o); a1.StoreUnsafe(ref o, g); a2.StoreUnsafe(ref o, 2 * g); a3.StoreUnsafe(ref o, 3 * g);
    }
}
