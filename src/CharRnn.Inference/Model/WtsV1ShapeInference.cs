using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Model;

/// <summary>
/// Gives the tensors of a <c>.wts</c> V1 file their shapes. V1 stores only a value count per record, so every tensor
/// loads as <c>[count]</c>; the counts of a char-rnn model determine every dimension:
/// the softmax bias holds the vocabulary size V, each LSTM bias 4 x hidden, the embedding V x width, layer 0's kernel
/// (input + hidden) x 4 x hidden and every later kernel 2 x hidden x 4 x hidden. Because the biases fix hidden and V
/// before any kernel is read, no count is ambiguous: a count that fits no shape is an inconsistent file, reported with
/// the counts and the rule they break.
/// </summary>
internal static class WtsV1ShapeInference
{
    /// <summary>The model's tensors with their inferred shapes (the values are shared, not copied).</summary>
    internal sealed record ShapedTensors(
        IReadOnlyList<(WeightTensor Kernel, WeightTensor Bias)> Layers,
        WeightTensor SoftmaxWeights,
        WeightTensor SoftmaxBias,
        WeightTensor? Embedding);

    public static ShapedTensors Infer(IReadOnlyList<(WeightTensor Kernel, WeightTensor Bias)> layers, WeightTensor softmaxWeights,
        WeightTensor softmaxBias, WeightTensor? embedding, string source)
    {
        int vocab = softmaxBias.ElementCount;
        if (vocab == 0)
        {
            throw Inconsistent(source, $"'{softmaxBias.Name}' holds no values; it must hold one per character");
        }
        var firstBias = layers[0].Bias;
        if (firstBias.ElementCount == 0 || firstBias.ElementCount % 4 != 0)
        {
            throw Inconsistent(source, $"'{firstBias.Name}' holds {firstBias.ElementCount} values; an LSTM bias holds 4 x hidden, a positive multiple of 4");
        }
        int hidden = firstBias.ElementCount / 4;
        RequireCount(softmaxWeights, (long)hidden * vocab, $"hidden x vocabulary = {hidden} x {vocab}", source);

        int input = vocab;
        WeightTensor? shapedEmbedding = null;
        if (embedding is not null)
        {
            if (embedding.ElementCount == 0 || embedding.ElementCount % vocab != 0)
            {
                throw Inconsistent(source, $"'{embedding.Name}' holds {embedding.ElementCount} values; an embedding holds vocabulary x width, a positive multiple of the vocabulary size {vocab} (from '{softmaxBias.Name}')");
            }
            input = embedding.ElementCount / vocab;
            shapedEmbedding = Reshape(embedding, vocab, input);
        }

        var shaped = new List<(WeightTensor, WeightTensor)>(layers.Count);
        for (int k = 0; k < layers.Count; k++)
        {
            var (kernel, bias) = layers[k];
            RequireCount(bias, 4L * hidden, $"4 x hidden = 4 x {hidden} (hidden from '{firstBias.Name}')", source);
            int layerInput = k == 0 ? input : hidden;
            string inputRule = k > 0 ? $"hidden {hidden}" : embedding is null ? $"the vocabulary {vocab} (one-hot input)" : $"the embedding width {input}";
            RequireCount(kernel, (long)(layerInput + hidden) * 4 * hidden,
                $"(input + hidden) x 4 x hidden = ({layerInput} + {hidden}) x {4 * hidden}, the input being {inputRule}", source);
            shaped.Add((Reshape(kernel, layerInput + hidden, 4 * hidden), Reshape(bias, 4 * hidden)));
        }
        return new ShapedTensors(shaped, Reshape(softmaxWeights, hidden, vocab), Reshape(softmaxBias, vocab), shapedEmbedding);
    }

    private static void RequireCount(WeightTensor tensor, long expected, string rule, string source)
    {
        if (tensor.ElementCount != expected)
        {
            throw Inconsistent(source, $"'{tensor.Name}' holds {tensor.ElementCount} values but must hold {rule} = {expected}");
        }
    }

    private static WeightTensor Reshape(WeightTensor tensor, params int[] shape) =>
        new(tensor.Name, shape, tensor.ValuesArray, tensor.StoredType);

    private static ModelFormatException Inconsistent(string source, string what) =>
        new($"Cannot infer the tensor shapes of the V1 file {source}: {what}. V1 stores no shapes, so the counts must agree " +
            "with each other; check that the file holds one complete model, or load the V2 file or checkpoint it came from, which store the shapes.");
}
