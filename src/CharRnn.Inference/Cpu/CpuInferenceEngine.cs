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
        InputTable = Layer0InputTable.Compute(network);
        Packed = new PackedNetwork(network, InputTable, options.Precision);
    }

    /// <summary>The settings the engine was built with.</summary>
    public CpuEngineOptions Options { get; }

    /// <inheritdoc />
    public override Backend Backend => Backend.Cpu;

    /// <inheritdoc />
    public override string DeviceName =>
        $"CPU ({Environment.ProcessorCount} threads, {8 * System.Numerics.Vector<byte>.Count}-bit vectors, {(Options.Precision == CpuPrecision.Float32 ? "float32" : "bfloat16")} weights)";

    /// <summary>Layer 0's gate pre-activations per character (<see cref="Layer0InputTable"/>).</summary>
    internal float[] InputTable { get; }

    /// <summary>The weights in the kernel's layout.</summary>
    internal PackedNetwork Packed { get; }

    /// <inheritdoc />
    protected override EngineSession CreateSessionCore(int streams) => new CpuEngineSession(this, streams);
}
