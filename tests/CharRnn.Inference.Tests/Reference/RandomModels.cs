using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.Reference;

/// <summary>Random char-rnn models in TensorFlow layout and naming, built in memory.</summary>
internal static class RandomModels
{
    public static WeightSet Weights(int layers, int hidden, int vocab, int? embedding, int seed, float scale = 0.3f, bool multiCell = true)
    {
        var rng = new Random(seed);
        float[] Random(int n, float s) => [.. Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * s))];
        var tensors = new List<WeightTensor>();
        int input = embedding ?? vocab;
        if (embedding is int e)
        {
            tensors.Add(new WeightTensor("embedding", [vocab, e], Random(vocab * e, 1f)));
        }
        for (int k = 0; k < layers; k++)
        {
            int rows = (k == 0 ? input : hidden) + hidden;
            string prefix = multiCell ? $"rnn_multi_rnn_cell_cell_{k}_basic_lstm_cell" : "rnn_basic_lstm_cell";
            tensors.Add(new WeightTensor($"{prefix}_kernel", [rows, 4 * hidden], Random(rows * 4 * hidden, scale)));
            tensors.Add(new WeightTensor($"{prefix}_bias", [4 * hidden], Random(4 * hidden, scale)));
        }
        tensors.Add(new WeightTensor("softmax_softmax_w", [hidden, vocab], Random(hidden * vocab, 1f)));
        tensors.Add(new WeightTensor("softmax_softmax_b", [vocab], Random(vocab, 0.5f)));
        return new WeightSet(tensors, source: $"random model (seed {seed})");
    }

    public static CharRnnModel Model(int layers, int hidden, int vocab, int? embedding, int seed, float scale = 0.3f) =>
        CharRnnModel.FromWeights(Weights(layers, hidden, vocab, embedding, seed, scale),
            new ModelLoadOptions { Vocabulary = vocab == 65 ? Vocabulary.SampleCharRnn : new Vocabulary(Enumerable.Range(0, vocab).Select(i => (char)('!' + i))) });
}
