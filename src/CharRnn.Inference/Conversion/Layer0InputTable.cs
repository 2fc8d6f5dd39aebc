using System.Numerics.Tensors;

namespace CharRnn.Inference.Conversion;

/// <summary>
/// Layer 0's gate pre-activations for each character, <c>[vocab][4 * hidden]</c>: <c>W x + Wb + Rb</c> with x the
/// character's embedding row or one-hot vector. Every backend precomputes it because layer 0 only ever sees vocab
/// distinct inputs; they share this one float32 definition so that their layer-0 inputs agree to the last bit.
/// </summary>
internal static class Layer0InputTable
{
    /// <summary>Computes the table, row <c>v</c> for character <c>v</c>, gate rows in TensorRT's order (<see cref="TrtGate"/>).</summary>
    public static float[] Compute(NetworkWeights network)
    {
        ArgumentNullException.ThrowIfNull(network);
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
