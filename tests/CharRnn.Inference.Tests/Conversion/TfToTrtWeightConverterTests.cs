using CharRnn.Inference.Conversion;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Conversion;

public class TfToTrtWeightConverterTests
{
    [Test]
    public void Gate_blocks_are_transposed_input_and_recurrent_rows_of_the_tf_kernel()
    {
        var model = RandomModels.Model(layers: 2, hidden: 5, vocab: 65, embedding: 3, seed: 1);
        var net = TfToTrtWeightConverter.Convert(model);
        for (int k = 0; k < 2; k++)
        {
            var tf = model.Layers[k];
            var trt = net.Layers[k];
            int input = k == 0 ? 3 : 5, hidden = 5, cols = 20;
            Assert.That(trt.InputWeights.Length, Is.EqualTo(4 * hidden * input));
            Assert.That(trt.RecurrentWeights.Length, Is.EqualTo(4 * hidden * hidden));
            // TF column (gate g, unit u) = g*hidden+u; TRT gate order i,c,f,o equals TF's i,j,f,o.
            for (int g = 0; g < 4; g++)
            for (int u = 0; u < hidden; u++)
            {
                for (int i = 0; i < input; i++)
                {
                    Assert.That(trt.InputWeights[(g * hidden + u) * input + i], Is.EqualTo(tf.Kernel.Values[i * cols + g * hidden + u]));
                }
                for (int j = 0; j < hidden; j++)
                {
                    Assert.That(trt.RecurrentWeights[(g * hidden + u) * hidden + j], Is.EqualTo(tf.Kernel.Values[(input + j) * cols + g * hidden + u]));
                }
            }
            Assert.That(trt.InputBias.ToArray(), Is.EqualTo(tf.Bias.Values.ToArray()));
            Assert.That(trt.RecurrentBias.ToArray(), Is.All.EqualTo(0f));
        }
    }

    [Test]
    public void Forget_bias_is_added_to_the_forget_gate_only()
    {
        var model = RandomModels.Model(layers: 1, hidden: 4, vocab: 65, embedding: null, seed: 2);
        var plain = TfToTrtWeightConverter.Convert(model).Layers[0].InputBias.ToArray();
        var folded = TfToTrtWeightConverter.Convert(model, new ConversionOptions { ForgetBias = 1f }).Layers[0].InputBias.ToArray();
        for (int r = 0; r < 16; r++)
        {
            float expected = r is >= 8 and < 12 ? plain[r] + 1f : plain[r];
            Assert.That(folded[r], Is.EqualTo(expected), $"row {r}");
        }
    }

    [Test]
    public void Fc_is_softmax_w_transposed_and_embedding_is_kept()
    {
        var model = RandomModels.Model(layers: 1, hidden: 6, vocab: 65, embedding: 7, seed: 3);
        var net = TfToTrtWeightConverter.Convert(model);
        for (int u = 0; u < 6; u++)
        for (int v = 0; v < 65; v++)
        {
            Assert.That(net.FcWeights[v * 6 + u], Is.EqualTo(model.SoftmaxWeights.Values[u * 65 + v]));
        }
        Assert.That(net.FcBias.ToArray(), Is.EqualTo(model.SoftmaxBias.Values.ToArray()));
        Assert.That(net.Embedding.ToArray(), Is.EqualTo(model.Embedding!.Values.ToArray()));
    }
}
