using System.Runtime.InteropServices;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// Mirror of <c>struct GreedyFcParams</c> in Kernels/lstm_tensorcore.cu: the projection's <see cref="GemmParams"/>
/// (112 bytes) and where its fused greedy sampling writes each stream's token.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GreedyProjectionParams
{
    public GemmParams Gemm;

    /// <summary>The next step's input tokens, <c>[streams]</c>.</summary>
    public ulong NextTokens;

    /// <summary>The call's output row of the next step, <c>[streams]</c>, or 0 after its last step.</summary>
    public ulong TokensOut;
}
