using System.Numerics.Tensors;
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
        InputTable = BuildInputTable(network);
    }

    /// <inheritdoc />
    public override Backend Backend => Backend.Cpu;

    /// <inheritdoc />
    public override string DeviceName => $"CPU ({Environment.ProcessorCount} threads, {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated switch { true => "AVX-512", false when System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated => "AVX2", _ => "128-bit SIMD" }})";

    /// <summary>
    /// Layer 0's gate pre-activations for each character, <c>[vocab][4 * hidden]</c>: <c>W x + Wb + Rb</c> with x the
    /// character's embedding row or one-hot vector. Precomputed because layer 0 only ever sees vocab distinct inputs.
    /// </summary>
    internal float[] InputTable { get; }

    /// <inheritdoc />
    protected override EngineSession CreateSessionCore(int streams) => new StepCheckedSession(new CpuEngineSession(this, streams));

    internal static float[] BuildInputTable(NetworkWeights network)
    {
        var dims = network.Dimensions;
        var layer = network.Layers[0];
        int rows = 4 * dims.HiddenSize, input = layer.InputSize;
        var table = new float[dims.VocabularySize * rows];
        var w = layer.InputWeights;
        for (int v = 0; v < dims.VocabularySize; v++)
        {
            var row = table.AsSpan(v * rows, rows);
            for (int r = 0; r < rows; r++)
            {
                float x = network.EmbeddingArray is { } emb
                    ? TensorPrimitives.Dot(w.Slice(r * input, input), emb.AsSpan(v * input, input))
                    : w[r * input + v];
                row[r] = x + layer.InputBias[r] + layer.RecurrentBias[r];
            }
        }
        return table;
    }
}
