using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;

namespace CharRnn.Benchmarks;

/// <summary>
/// sampleCharRNN's network shape (2 x 512 LSTM, embedding 512, its 65-character map; FACTS.md section 3) with random
/// weights: speed does not depend on the values, and no trained file is needed.
/// </summary>
internal static class SeedModel
{
    public const int Layers = 2;
    public const int Hidden = 512;
    public const int Embedding = 512;

    public static CharRnnModel Create(int seed = 1)
    {
        var rng = new Random(seed);
        int vocab = Vocabulary.SampleCharRnn.Count;
        float[] Values(int n, float scale) => [.. Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale))];
        var tensors = new List<WeightTensor> { new("embedding", [vocab, Embedding], Values(vocab * Embedding, 1f)) };
        for (int k = 0; k < Layers; k++)
        {
            int rows = (k == 0 ? Embedding : Hidden) + Hidden;
            tensors.Add(new($"rnn_multi_rnn_cell_cell_{k}_basic_lstm_cell_kernel", [rows, 4 * Hidden], Values(rows * 4 * Hidden, 0.05f)));
            tensors.Add(new($"rnn_multi_rnn_cell_cell_{k}_basic_lstm_cell_bias", [4 * Hidden], Values(4 * Hidden, 0.05f)));
        }
        tensors.Add(new("softmax_softmax_w", [Hidden, vocab], Values(Hidden * vocab, 0.2f)));
        tensors.Add(new("softmax_softmax_b", [vocab], Values(vocab, 0.2f)));
        return CharRnnModel.FromWeights(new WeightSet(tensors, source: "random seed-shape model"),
            new ModelLoadOptions { Vocabulary = Vocabulary.SampleCharRnn });
    }
}
