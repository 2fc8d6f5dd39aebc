using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.Reference;
using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.Model;

public class CharRnnModelTests
{
    private static WeightSet Replace(WeightSet set, WeightTensor replacement) =>
        new(set.Select(t => t.Name == replacement.Name ? replacement : t));

    private static WeightSet Without(WeightSet set, string name) => new(set.Where(t => t.Name != name));

    [Test]
    public void Dimensions_come_from_the_shapes()
    {
        var model = CharRnnModel.FromWeights(RandomModels.Weights(3, 40, 65, 24, seed: 1));
        Assert.That(model.Dimensions, Is.EqualTo(new ModelDimensions(3, 40, 24, 65, true)));
        Assert.That(model.Vocabulary, Is.SameAs(Vocabulary.SampleCharRnn));
        var oneHot = CharRnnModel.FromWeights(RandomModels.Weights(2, 20, 65, null, seed: 1));
        Assert.That(oneHot.Dimensions, Is.EqualTo(new ModelDimensions(2, 20, 65, 65, false)));
    }

    [Test]
    public void Tf_1_1_weights_and_biases_names_and_lstm_cell_names_are_accepted()
    {
        var renamed = new WeightSet(RandomModels.Weights(2, 8, 65, 4, seed: 2).Select(t => new WeightTensor(
            t.Name.Replace("basic_lstm_cell_kernel", "lstm_cell_weights").Replace("basic_lstm_cell_bias", "lstm_cell_biases"),
            t.Shape, t.Values.ToArray())));
        Assert.That(CharRnnModel.FromWeights(renamed).Dimensions.LayerCount, Is.EqualTo(2));
    }

    [Test]
    public void Inconsistent_kernel_shape_names_both_tensors_and_shapes()
    {
        var set = RandomModels.Weights(2, 8, 65, 4, seed: 3);
        var bad = Replace(set, new WeightTensor("rnn_multi_rnn_cell_cell_1_basic_lstm_cell_kernel", [17, 32], new float[17 * 32]));
        var e = Assert.Throws<ModelFormatException>(() => CharRnnModel.FromWeights(bad));
        Assert.That(e!.Message, Does.Contain("rnn_multi_rnn_cell_cell_1_basic_lstm_cell_kernel' (17, 32)")
            .And.Contain("rnn_multi_rnn_cell_cell_0_basic_lstm_cell_kernel' (12, 32)").And.Contain("16 rows"));
    }

    [Test]
    public void Embedding_with_wrong_row_count_is_refused()
    {
        var set = Replace(RandomModels.Weights(1, 8, 65, 4, seed: 4), new WeightTensor("embedding", [64, 4], new float[256]));
        var e = Assert.Throws<ModelFormatException>(() => CharRnnModel.FromWeights(set));
        Assert.That(e!.Message, Does.Contain("'embedding' (64, 4)").And.Contain("'softmax_softmax_w' (8, 65)"));
    }

    [Test]
    public void Missing_tensors_are_listed()
    {
        var set = Without(Without(RandomModels.Weights(3, 8, 65, 4, seed: 5), "rnn_multi_rnn_cell_cell_1_basic_lstm_cell_bias"), "rnn_multi_rnn_cell_cell_1_basic_lstm_cell_kernel");
        var e = Assert.Throws<ModelFormatException>(() => CharRnnModel.FromWeights(set));
        Assert.That(e!.Message, Does.Contain("layer 1 kernel").And.Contain("layer 1 bias"));
        var noSoftmax = Without(RandomModels.Weights(1, 8, 65, 4, seed: 5), "softmax_softmax_b");
        Assert.That(() => CharRnnModel.FromWeights(noSoftmax), Throws.TypeOf<ModelFormatException>().With.Message.Contains("softmax_softmax_b"));
    }

    [Test]
    public void Vocabulary_size_must_match_the_model()
    {
        var set = RandomModels.Weights(1, 8, 30, 4, seed: 6);
        Assert.That(() => CharRnnModel.FromWeights(set), Throws.TypeOf<VocabularyException>().With.Message.Contains("vocab.json"));
        var wrong = new Vocabulary("abc");
        Assert.That(() => CharRnnModel.FromWeights(set, new ModelLoadOptions { Vocabulary = wrong }),
            Throws.TypeOf<VocabularyException>().With.Message.Contains("3 characters").And.Message.Contains("30 classes"));
    }

    [Test]
    public void Inference_tensor_names_exclude_optimizer_slots_and_scalars()
    {
        Assert.That(TfVariableNames.IsInferenceTensor("rnn_multi_rnn_cell_cell_0_basic_lstm_cell_kernel"), Is.True);
        Assert.That(TfVariableNames.IsInferenceTensor("rnn_multi_rnn_cell_cell_0_basic_lstm_cell_kernel_Adam"), Is.False);
        Assert.That(TfVariableNames.IsInferenceTensor("rnn_multi_rnn_cell_cell_0_basic_lstm_cell_kernel_Adam_1"), Is.False);
        Assert.That(TfVariableNames.IsInferenceTensor("global_step"), Is.False);
        Assert.That(TfVariableNames.IsInferenceTensor("softmax_softmax_w"), Is.True);
        Assert.That(TfVariableNames.IsInferenceTensor("embedding"), Is.True);
    }

    // A name's layer index must not size anything: cell_2147483646_ once built a "missing layers" list past 7.5 GB,
    // 10^6 a 40 MB message, 2147483647 an ArgumentOutOfRangeException and 99999999999 an OverflowException.
    [TestCase("1000000")]
    [TestCase("2147483646")]
    [TestCase("2147483647")]
    [TestCase("99999999999")]
    public void A_layer_index_past_the_layers_present_is_named_in_a_short_error(string index)
    {
        var set = new WeightSet(RandomModels.Weights(2, 8, 65, 4, seed: 7).Select(t => new WeightTensor(
            t.Name.Replace("cell_1_", $"cell_{index}_", StringComparison.Ordinal), t.Shape, t.Values.ToArray())));
        var e = Assert.Throws<ModelFormatException>(() => CharRnnModel.FromWeights(set));
        Assert.That(e!.Message, Does.Contain($"layer {index}").And.Contain($"cell_{index}_"));
        Assert.That(e.Message, Has.Length.LessThan(400));
    }
}
