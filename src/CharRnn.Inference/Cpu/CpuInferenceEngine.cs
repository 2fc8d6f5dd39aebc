using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;

namespace CharRnn.Inference.Cpu;

/// <summary>
/// The CPU engine: float32, managed SIMD through System.Numerics.Tensors. It is the numerical reference the GPU
/// engines are compared with. Immutable and thread-safe.
/// </summary>
public sealed class CpuInferenceEngine : InferenceEngine
{
    /// <summary>Builds the engine from converted weights.</summary>
    public CpuInferenceEngine(NetworkWeights network, Vocabulary vocabulary) : base(network, vocabulary)
    {
        InputTable = Layer0InputTable.Compute(network);
    }

    /// <inheritdoc />
    public override Backend Backend => Backend.Cpu;

    /// <inheritdoc />
    public override string DeviceName => $"CPU ({Environment.ProcessorCount} threads, {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated switch { true => "AVX-512", false when System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated => "AVX2", _ => "128-bit SIMD" }})";

    /// <summary>Layer 0's gate pre-activations per character (<see cref="Layer0InputTable"/>).</summary>
    internal float[] InputTable { get; }

    /// <inheritdoc />
    protected override EngineSession CreateSessionCore(int streams) => new CpuEngineSession(this, streams);
}
