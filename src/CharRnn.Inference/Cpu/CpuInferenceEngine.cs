using System.Numerics.Tensors;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;

namespace CharRnn.Inference.Cpu;

/// <summary>
/// The CPU engine: managed SIMD (<see cref="System.Numerics.Vector{T}"/>), float32 arithmetic, all cores on large steps.
/// With float32 weights (the default) it is the numerical reference the GPU engines are compared with;
/// <see cref="CpuPrecision.BFloat16"/> halves the bytes read per character. Immutable and thread-safe.
/// </summary>
public sealed class CpuInferenceEngine : InferenceEngine
{
    /// <summary>Builds the engine from converted weights, with float32 weights.</summary>
    public CpuInferenceEngine(NetworkWeights network, Vocabulary vocabulary) : this(network, vocabulary, new CpuEngineOptions())
    {
    }

    /// <summary>Builds the engine from converted weights with the given settings.</summary>
    public CpuInferenceEngine(NetworkWeights network, Vocabulary vocabulary, CpuEngineOptions options) : base(network, vocabulary)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        InputTable = BuildInputTable(network);
        Packed = new PackedNetwork(network, InputTable, options.Precision);
    }

    /// <summary>The settings the engine was built with.</summary>
    public CpuEngineOptions Options { get; }

    /// <inheritdoc />
    public override Backend Backend => Backend.Cpu;

    /// <inheritdoc />
    public override string DeviceName =>
        $"CPU ({Environment.ProcessorCount} threads, {8 * System.Numerics.Vector<byte>.Count}-bit vectors, {(Options.Precision == CpuPrecision.Float32 ? "float32" : "bfloat16")} weights)";

    /// <summary>
    /// Layer 0's gate pre-activations for each character, <c>[vocab][4 * hidden]</c>: <c>W x + Wb + Rb</c> with x the
    /// character's embedding row or one-hot vector. Precomputed because layer 0 only ever sees vocab distinct inputs.
    /// </summary>
    internal float[] InputTable { get; }

    /// <summary>The weights in the kernel's layout.</summary>
    internal PackedNetwork Packed { get; }

    /// <inheritdoc />
    protected override EngineSession CreateSessionCore(int streams) => new CpuEngineSession(this, streams);

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
