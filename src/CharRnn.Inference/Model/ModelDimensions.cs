namespace CharRnn.Inference.Model;

/// <summary>The sizes of a char-rnn network, read from its tensor shapes.</summary>
/// <param name="LayerCount">Number of stacked LSTM layers.</param>
/// <param name="HiddenSize">Units per LSTM layer (all layers share it).</param>
/// <param name="InputSize">Layer 0's input width: the embedding width, or the vocabulary size for one-hot input.</param>
/// <param name="VocabularySize">Number of characters (the output classes).</param>
/// <param name="HasEmbedding">Whether layer 0's input is an embedding row (true) or a one-hot vector (false).</param>
public sealed record ModelDimensions(int LayerCount, int HiddenSize, int InputSize, int VocabularySize, bool HasEmbedding)
{
    /// <summary>Input width of layer <paramref name="layer"/>.</summary>
    public int LayerInputSize(int layer) => layer == 0 ? InputSize : HiddenSize;

    /// <summary>
    /// Floats in one stream's state: <c>[layer][h, c][hidden]</c> followed by its logits <c>[vocab]</c> (the layout of
    /// <see cref="Engine.EngineSession.SaveStream"/>, of generators' host states and of snapshots).
    /// </summary>
    internal int StreamStateLength => LayerCount * 2 * HiddenSize + VocabularySize;

    /// <summary>Number of parameters the network uses for inference.</summary>
    public long ParameterCount
    {
        get
        {
            long total = HasEmbedding ? (long)VocabularySize * InputSize : 0;
            for (int k = 0; k < LayerCount; k++)
            {
                total += (long)(LayerInputSize(k) + HiddenSize) * 4 * HiddenSize + 4 * HiddenSize;
            }
            return total + (long)HiddenSize * VocabularySize + VocabularySize;
        }
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{LayerCount} x {HiddenSize} LSTM, input {InputSize} ({(HasEmbedding ? "embedding" : "one-hot")}), vocabulary {VocabularySize}";
}
