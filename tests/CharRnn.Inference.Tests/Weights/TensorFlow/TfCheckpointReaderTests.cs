using System.Runtime.InteropServices;
using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.Weights.TensorFlow;

public class TfCheckpointReaderTests
{
    private static readonly WeightLoadOptions InferenceOnly = new() { Include = TfVariableNames.IsInferenceTensor };

    [Test]
    public void Inference_tensors_equal_the_wts2_export_bit_for_bit()
    {
        var weights = WeightLoader.Load(CheckpointFixture.Prefix, InferenceOnly);
        var expected = Wts2Records.Read(CheckpointFixture.Wts2Path).Where(r => TfVariableNames.IsInferenceTensor(r.Name)).ToList();

        Assert.That(expected.Select(r => r.Name), Is.EquivalentTo(new[]
        {
            "rnn_multi_rnn_cell_cell_0_basic_lstm_cell_bias", "rnn_multi_rnn_cell_cell_0_basic_lstm_cell_kernel",
            "rnn_multi_rnn_cell_cell_1_basic_lstm_cell_bias", "rnn_multi_rnn_cell_cell_1_basic_lstm_cell_kernel",
            "softmax_softmax_b", "softmax_softmax_w",
        }), "the reference itself");
        Assert.That(weights.Select(t => t.Name), Is.EqualTo(expected.Select(r => r.Name)));
        Assert.That(weights.SkippedRecords, Has.Count.EqualTo(21));
        Assert.That(weights.SkippedRecords, Has.None.Matches<string>(TfVariableNames.IsInferenceTensor));
        Assert.That(weights.Format, Is.EqualTo(WeightFileFormat.TensorFlowCheckpoint));
        Assert.That(weights.Source, Is.EqualTo(CheckpointFixture.Prefix));
        foreach (var record in expected)
        {
            AssertSameTensor(weights[record.Name], record);
        }
    }

    [Test]
    public void Include_null_lists_all_27_variables_like_the_wts2_headers()
    {
        var weights = WeightLoader.Load(CheckpointFixture.Prefix);
        var expected = Wts2Records.Read(CheckpointFixture.Wts2Path);

        Assert.That(expected, Has.Count.EqualTo(27));
        Assert.That(weights.Select(t => t.Name), Is.EqualTo(expected.Select(r => r.Name)), "names in .wts spelling and sorted order");
        Assert.That(weights.SkippedRecords, Is.Empty);
        foreach (var record in expected)
        {
            AssertSameTensor(weights[record.Name], record);
        }
        Assert.That(weights["global_step"].Shape, Is.Empty, "a scalar");
        Assert.That(weights["global_step"].Values[0], Is.EqualTo(85340f), "the checkpoint's step is in its name");
    }

    [Test]
    public void The_index_file_path_loads_like_the_prefix()
    {
        var byPrefix = WeightLoader.Load(CheckpointFixture.Prefix, InferenceOnly);
        var byIndex = WeightLoader.Load(CheckpointFixture.Prefix + ".index", InferenceOnly);
        Assert.That(byIndex.Select(t => t.ToString()), Is.EqualTo(byPrefix.Select(t => t.ToString())));
        Assert.That(byIndex.Format, Is.EqualTo(WeightFileFormat.TensorFlowCheckpoint));
    }

    [Test]
    public void Checkpoint_equals_the_wts2_through_the_wts_loader()
    {
        var fromWts = WeightLoader.Load(CheckpointFixture.Wts2Path, InferenceOnly);
        var fromCheckpoint = WeightLoader.Load(CheckpointFixture.Prefix, InferenceOnly);
        Assert.That(fromCheckpoint.Select(t => t.Name), Is.EqualTo(fromWts.Select(t => t.Name)));
        Assert.That(fromCheckpoint.SkippedRecords, Is.EqualTo(fromWts.SkippedRecords));
        foreach (var tensor in fromWts)
        {
            var other = fromCheckpoint[tensor.Name];
            Assert.That(other.Shape, Is.EqualTo(tensor.Shape), tensor.Name);
            Assert.That(Bits(other.Values), Is.EqualTo(Bits(tensor.Values)), tensor.Name);
        }
    }

    [Test]
    public void CharRnnModel_loads_the_checkpoint_prefix_with_its_vocabulary()
    {
        var model = CharRnnModel.Load(CheckpointFixture.Prefix, new ModelLoadOptions { VocabularyPath = CheckpointFixture.VocabPath });

        Assert.That(model.Dimensions.LayerCount, Is.EqualTo(2));
        Assert.That(model.Dimensions.HiddenSize, Is.EqualTo(128));
        Assert.That(model.Dimensions.InputSize, Is.EqualTo(65));
        Assert.That(model.Dimensions.HasEmbedding, Is.False, "trained with embedding_size 0: one-hot input");
        Assert.That(model.Dimensions.VocabularySize, Is.EqualTo(65));
        Assert.That(model.Vocabulary.Count, Is.EqualTo(65));
        Assert.That(model.Weights.Format, Is.EqualTo(WeightFileFormat.TensorFlowCheckpoint));
        Assert.That(model.Layers[0].Kernel.Shape, Is.EqualTo(new[] { 65 + 128, 4 * 128 }));
        Assert.That(model.Weights.SkippedRecords, Has.Count.EqualTo(21), "optimizer slots and scalars are skipped");
    }

    private static void AssertSameTensor(WeightTensor actual, Wts2Records.Record expected)
    {
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape), expected.Name);
        Assert.That(actual.StoredType, Is.EqualTo(TensorDataType.Float32), expected.Name);
        Assert.That(MemoryMarshal.AsBytes(actual.Values).ToArray(), Is.EqualTo(expected.Bytes), $"{expected.Name}: bytes differ");
    }

    private static int[] Bits(ReadOnlySpan<float> values) => MemoryMarshal.Cast<float, int>(values).ToArray();
}
