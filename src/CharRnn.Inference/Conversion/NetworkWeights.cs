using CharRnn.Inference.Model;

namespace CharRnn.Inference.Conversion;

/// <summary>
/// The network every backend builds: converted LSTM layers, the embedding (or none for one-hot input) and the
/// fully connected output <c>[vocab][hidden]</c> plus bias. Immutable.
/// </summary>
public sealed class NetworkWeights
{
    internal NetworkWeights(ModelDimensions dimensions, IReadOnlyList<TrtLstmLayer> layers, float[]? embedding, float[] fcWeights, float[] fcBias, float forgetBias)
    {
        Dimensions = dimensions;
        Layers = layers;
        EmbeddingArray = embedding;
        FcWeightsArray = fcWeights;
        FcBiasArray = fcBias;
        ForgetBias = forgetBias;
    }

    /// <summary>The network's sizes.</summary>
    public ModelDimensions Dimensions { get; }

    /// <summary>LSTM layers, bottom first.</summary>
    public IReadOnlyList<TrtLstmLayer> Layers { get; }

    /// <summary>The embedding <c>[vocab][emb]</c>; empty for one-hot input.</summary>
    public ReadOnlySpan<float> Embedding => EmbeddingArray;

    /// <summary>FC weights <c>[vocab][hidden]</c> (the transposed softmax_w).</summary>
    public ReadOnlySpan<float> FcWeights => FcWeightsArray;

    /// <summary>FC bias <c>[vocab]</c>.</summary>
    public ReadOnlySpan<float> FcBias => FcBiasArray;

    /// <summary>The forget bias folded into each layer's forget-gate input bias.</summary>
    public float ForgetBias { get; }

    internal float[]? EmbeddingArray { get; }

    // Computed when a fingerprint is first asked for; a race computes it twice, with the same result.
    private byte[]? _digest;

    /// <summary>SHA-256 of the converted network, the costly part of <see cref="ModelFingerprint"/> (one pass over the weights).</summary>
    internal byte[] Digest => _digest ??= ModelFingerprint.Digest(this);
    internal float[] FcWeightsArray { get; }
    internal float[] FcBiasArray { get; }
}
