using CharRnn.Inference.Conversion;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Conversion;

/// <summary>The one layer-0 input table every backend uses, against a float64 sum over the TF weights.</summary>
public class Layer0InputTableTests
{
    private const int Hidden = 3, Vocab = 5, Embedding = 4;

    [Test]
    public void With_an_embedding_rows_are_the_embedding_times_the_TF_kernel_plus_bias()
    {
        var model = RandomModels.Model(layers: 2, Hidden, Vocab, Embedding, seed: 3, scale: 0.6f);
        var table = Layer0InputTable.Compute(TfToTrtWeightConverter.Convert(model, new ConversionOptions { ForgetBias = 1f }));
        var kernel = model.Layers[0].Kernel.Values;
        var bias = model.Layers[0].Bias.Values;
        var emb = model.Embedding!.Values;
        int columns = 4 * Hidden;
        for (int ch = 0; ch < Vocab; ch++)
        {
            for (int col = 0; col < columns; col++)
            {
                // TF columns are blocks i, j, f, o: the same order as TensorRT's i, c, f, o; f gets the forget bias.
                double expected = bias[col] + (col / Hidden == 2 ? 1.0 : 0.0);
                for (int j = 0; j < Embedding; j++)
                {
                    expected += (double)emb[ch * Embedding + j] * kernel[j * columns + col];
                }
                Assert.That(table[ch * columns + col], Is.EqualTo(expected).Within(1e-5), $"char {ch}, column {col}");
            }
        }
    }

    [Test]
    public void Without_an_embedding_rows_are_the_TF_kernel_rows_of_the_one_hot_character_plus_bias()
    {
        var model = RandomModels.Model(layers: 1, Hidden, Vocab, embedding: null, seed: 4, scale: 0.6f);
        var table = Layer0InputTable.Compute(TfToTrtWeightConverter.Convert(model, new ConversionOptions { ForgetBias = 0f }));
        var kernel = model.Layers[0].Kernel.Values;
        var bias = model.Layers[0].Bias.Values;
        int columns = 4 * Hidden;
        for (int ch = 0; ch < Vocab; ch++)
        {
            for (int col = 0; col < columns; col++)
            {
                Assert.That(table[ch * columns + col], Is.EqualTo(kernel[ch * columns + col] + bias[col]).Within(1e-6), $"char {ch}, column {col}");
            }
        }
    }
}
