using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.Reference;
using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.Model;

/// <summary>V1 files store counts, not shapes: models load from them with the shapes the V2 original had.</summary>
public class WtsV1ShapeInferenceTests
{
    private static WeightSet AsV1(WeightSet weights)
    {
        var bytes = new MemoryStream();
        WeightFileWriter.Write(bytes, weights, WeightFileFormat.WtsV1);
        bytes.Position = 0;
        var v1 = WeightLoader.Load(bytes, "model.wts");
        Assert.That(v1.Format, Is.EqualTo(WeightFileFormat.WtsV1));
        Assert.That(v1.All(t => t.Shape.Count == 1), "V1 tensors load flat");
        return v1;
    }

    private static Vocabulary Characters(int count) => new(Enumerable.Range(0, count).Select(i => (char)('!' + i)));

    [TestCase(1, 12, 30, null)]
    [TestCase(1, 12, 30, 7)]
    [TestCase(3, 9, 41, null)]
    [TestCase(3, 9, 41, 5)]
    [TestCase(2, 16, 16, 16)]
    public void Shapes_and_greedy_text_match_the_shaped_original(int layers, int hidden, int vocab, int? embedding)
    {
        var original = RandomModels.Weights(layers, hidden, vocab, embedding, seed: layers * 100 + hidden);
        var options = new ModelLoadOptions { Vocabulary = Characters(vocab) };
        var expected = CharRnnModel.FromWeights(original, options);
        var fromV1 = CharRnnModel.FromWeights(AsV1(original), options);

        Assert.That(fromV1.Dimensions, Is.EqualTo(new ModelDimensions(layers, hidden, embedding ?? vocab, vocab, embedding is not null)));
        for (int k = 0; k < layers; k++)
        {
            Assert.That(fromV1.Layers[k].Kernel.Shape, Is.EqualTo(original[expected.Layers[k].Kernel.Name].Shape), $"layer {k} kernel");
            Assert.That(fromV1.Layers[k].Bias.Shape, Is.EqualTo(original[expected.Layers[k].Bias.Name].Shape), $"layer {k} bias");
        }
        Assert.That(fromV1.SoftmaxWeights.Shape, Is.EqualTo(original[TfVariableNames.SoftmaxWeights].Shape));
        Assert.That(fromV1.Embedding?.Shape, Is.EqualTo(embedding is null ? null : original[TfVariableNames.Embedding].Shape));

        Assert.That(Greedy(fromV1), Is.EqualTo(Greedy(expected)));
    }

    [Test]
    public void A_single_layer_model_without_multi_rnn_cell_names_loads()
    {
        var original = RandomModels.Weights(1, 6, 20, 4, seed: 9, multiCell: false);
        var fromV1 = CharRnnModel.FromWeights(AsV1(original), new ModelLoadOptions { Vocabulary = Characters(20) });
        Assert.That(fromV1.Dimensions, Is.EqualTo(new ModelDimensions(1, 6, 4, 20, true)));
    }

    [Test]
    public void A_kernel_count_that_fits_no_shape_names_the_tensor_the_counts_and_the_fix()
    {
        var original = RandomModels.Weights(2, 8, 20, null, seed: 3);
        const string kernel1 = "rnn_multi_rnn_cell_cell_1_basic_lstm_cell_kernel";
        var broken = new WeightSet(original.Select(t => t.Name == kernel1 ? new WeightTensor(kernel1, [17 * 32], new float[17 * 32]) : t));
        var e = Assert.Throws<ModelFormatException>(() => CharRnnModel.FromWeights(AsV1(broken), new ModelLoadOptions { Vocabulary = Characters(20) }));
        Assert.That(e!.Message, Does.Contain("model.wts").And.Contain($"'{kernel1}' holds 544 values")
            .And.Contain("(8 + 8) x 32").And.Contain("= 512").And.Contain("V2 file or checkpoint"));
    }

    [Test]
    public void An_embedding_that_disagrees_with_the_first_kernel_is_refused()
    {
        var original = RandomModels.Weights(1, 8, 20, 4, seed: 4);
        var broken = new WeightSet(original.Select(t => t.Name == "embedding" ? new WeightTensor("embedding", [20 * 5], new float[100]) : t));
        var e = Assert.Throws<ModelFormatException>(() => CharRnnModel.FromWeights(AsV1(broken), new ModelLoadOptions { Vocabulary = Characters(20) }));
        Assert.That(e!.Message, Does.Contain("basic_lstm_cell_kernel").And.Contain("the embedding width 5"));
    }

    [Test]
    public void A_bias_count_that_is_not_a_multiple_of_four_is_refused()
    {
        var original = RandomModels.Weights(1, 8, 20, null, seed: 5);
        const string bias = "rnn_multi_rnn_cell_cell_0_basic_lstm_cell_bias";
        var broken = new WeightSet(original.Select(t => t.Name == bias ? new WeightTensor(bias, [30], new float[30]) : t));
        var e = Assert.Throws<ModelFormatException>(() => CharRnnModel.FromWeights(AsV1(broken), new ModelLoadOptions { Vocabulary = Characters(20) }));
        Assert.That(e!.Message, Does.Contain($"'{bias}' holds 30 values").And.Contain("multiple of 4"));
    }

    private static string Greedy(CharRnnModel model)
    {
        using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        using var generator = engine.CreateGenerator(new GeneratorOptions());
        generator.Prime(model.Vocabulary.Decode([0, 1, 2]));
        return generator.Generate(60);
    }
}
