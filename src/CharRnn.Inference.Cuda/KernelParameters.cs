using System.Runtime.InteropServices;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// Mirror of <c>struct RunParams</c> in Kernels/lstm_persistent.cu, field for field (x86-64 / CUDA layout: 14 pointers,
/// two 64-bit integers, then 18 32-bit fields; 200 bytes, no padding). Passed by value as the kernel's only parameter.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RunParams
{
    public ulong Layers;
    public ulong Table;
    public ulong FcWeights;
    public ulong FcBias;
    public ulong H;
    public ulong C;
    public ulong Logits;
    public ulong LogitsOut;
    public ulong TokensIn;
    public ulong TokensOut;
    public ulong CurrentTokens;
    public ulong Scratch;
    public ulong Barrier;
    public ulong Exchange;
    public ulong Seed;
    public long Counter;
    public float Temperature;
    public float TopP;
    public int TopK;
    public int LayerCount;
    public int Hidden;
    public int Vocab;
    public int Streams;
    public int Steps;
    public int Parity;
    public int UnitsPerBlock;
    public int VocabPerBlock;
    public int WeightsInSharedMemory;
    public int StageStreams;
    public int MaxWidth;
    public int RedundantSampling;
    public int StageFloats;
    public int ScratchInSharedMemory;
    public uint Epoch;
}

/// <summary>Mirror of <c>struct LayerWeights</c> in Kernels/lstm_persistent.cu (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LayerWeightsDescriptor
{
    public ulong WeightRows;
    public ulong Bias;
    public int Width;
    public int Pad;
}

/// <summary>
/// Mirror of <c>struct GemmParams</c> in Kernels/lstm_persistent.cu (9 pointers, then 10 32-bit fields; 112 bytes, no
/// padding): one layer (or the projection) of one step on the many-stream path.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GemmParams
{
    public ulong X;
    public ulong H;
    public ulong W;
    public ulong Base;
    public ulong Tokens;
    public ulong C;
    public ulong Out;
    public ulong Out2;
    public ulong Out16;
    public int Streams;
    public int InputWidth;
    public int Hidden;
    public int K;
    public int PaddedK;
    public int PaddedN;
    public int N;
    public int Aligned;
    public int Early;
    public int Pad;
}

/// <summary>
/// Mirror of <c>struct NarrowParams</c> in Kernels/lstm_tensorcore.cu: float32 h to its 16-bit copy and back
/// (tc_narrow_h, tc_widen_h), or rounded to TF32 in place (tc_round_h, which leaves H16 alone).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NarrowParams
{
    public ulong H;
    public ulong H16;
    public long Count;
}
