using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.Cuda;

/// <summary>
/// Char-rnn models with seeded uniform random weights in TensorFlow layout (FACTS.md section 2), shared by the CUDA
/// tests (CPU and GPU suites) and the GPU benchmark so that all of them build the same networks.
/// </summary>
public static class SeededModels
{
    /// <summary>
    /// A model of <paramref name="layers"/> x <paramref name="hidden"/> LSTM over the 65-character sample vocabulary,
    /// with an embedding of <paramref name="embedding"/> columns (0: one-hot input).
    /// </summary>
    public static CharRnnModel Create(int layers, int hidden, int embedding, int seed, float scale = 0.15f)
    {
        const int vocab = 65;
        var random = new Random(seed);
        float[] Values(int count)
        {
            var v = new float[count];
            for (int i = 0; i < count; i++)
            {
                v[i] = (float)(random.NextDouble() * 2 - 1) * scale;
            }
            return v;
        }
        var tensors = new List<WeightTensor>();
        int input = vocab;
        if (embedding > 0)
        {
            tensors.Add(new WeightTensor(TfVariableNames.Embedding, [vocab, embedding], Values(vocab * embedding)));
            input = embedding;
        }
        for (int k = 0; k < layers; k++)
        {
            int rows = (k == 0 ? input : hidden) + hidden;
            string prefix = $"rnn_multi_rnn_cell_cell_{k}_basic_lstm_cell_";
            tensors.Add(new WeightTensor(prefix + "kernel", [rows, 4 * hidden], Values(rows * 4 * hidden)));
            tensors.Add(new WeightTensor(prefix + "bias", [4 * hidden], Values(4 * hidden)));
        }
        tensors.Add(new WeightTensor(TfVariableNames.SoftmaxWeights, [hidden, vocab], Values(hidden * vocab)));
        tensors.Add(new WeightTensor(TfVariableNames.SoftmaxBias, [vocab], Values(vocab)));
        return CharRnnModel.FromWeights(new WeightSet(tensors, source: $"random {layers}x{hidden} emb {embedding} seed {seed}"));
    }
}
