using System.Buffers.Binary;
using System.Text;
using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.Weights;

/// <summary>The V2 file dumpTFWts.py wrote from tensorflow-char-rnn's Shakespeare checkpoint (../shared/data).</summary>
public class RealWtsFileTests
{
    private const string Kernel0 = "rnn_multi_rnn_cell_cell_0_basic_lstm_cell_kernel";

    private static string FilePath => TestData.SharedData("tf-char-rnn-shakespeare-128", "model-85340.wts2");

    [Test]
    public void Inference_tensors_load_and_the_rest_is_skipped()
    {
        var set = WeightLoader.Load(FilePath, new WeightLoadOptions { Include = TfVariableNames.IsInferenceTensor });

        var expected = new Dictionary<string, int[]>
        {
            ["rnn_multi_rnn_cell_cell_0_basic_lstm_cell_bias"] = [512],
            [Kernel0] = [193, 512],
            ["rnn_multi_rnn_cell_cell_1_basic_lstm_cell_bias"] = [512],
            ["rnn_multi_rnn_cell_cell_1_basic_lstm_cell_kernel"] = [256, 512],
            ["softmax_softmax_b"] = [65],
            ["softmax_softmax_w"] = [128, 65],
        };
        Assert.That(set.Format, Is.EqualTo(WeightFileFormat.WtsV2));
        Assert.That(set.Select(t => t.Name), Is.EquivalentTo(expected.Keys));
        foreach (var (name, shape) in expected)
        {
            Assert.That(set[name].Shape, Is.EqualTo(shape), name);
            Assert.That(set[name].StoredType, Is.EqualTo(TensorDataType.Float32), name);
        }
        Assert.That(set.SkippedRecords, Has.Count.EqualTo(21));
        Assert.That(set.SkippedRecords, Does.Contain("global_step").And.Contain(Kernel0 + "_Adam"));
    }

    [Test]
    public void Every_record_loads_without_a_filter()
    {
        var set = WeightLoader.Load(FilePath);
        Assert.That(set.Count, Is.EqualTo(27));
        Assert.That(set.SkippedRecords, Is.Empty);
        // dumpTFWts.py stored the int64 global_step as a 4-byte float32 here, so strict parsing holds.
        Assert.That(set["global_step"].Shape, Is.Empty);
        Assert.That(set["global_step"].Values[0], Is.EqualTo(85340f));
    }

    [Test]
    public void Kernel_values_match_an_independent_parse_of_the_bytes()
    {
        byte[] file = File.ReadAllBytes(FilePath);
        byte[] header = Encoding.ASCII.GetBytes($"\n{Kernel0} 0 (193, 512) ");
        int blob = file.AsSpan().IndexOf(header) + header.Length;
        Assert.That(blob, Is.GreaterThan(header.Length));

        var kernel = WeightLoader.Load(FilePath, new WeightLoadOptions { Include = n => n == Kernel0 })[Kernel0];

        int count = 193 * 512;
        Assert.That(file[blob + (count * 4)], Is.EqualTo((byte)'\n'));
        foreach (int i in new[] { 0, 1, 511, 512, 50_000, count - 1 })
        {
            float expected = BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(blob + (i * 4)));
            Assert.That(kernel.Values[i], Is.EqualTo(expected), $"element {i}");
        }
        Assert.That(kernel.Values.ToArray().Distinct().Count(), Is.GreaterThan(1000), "trained weights, not zeros");
    }

    [Test]
    public void Non_seekable_stream_gives_the_same_tensors()
    {
        var options = new WeightLoadOptions { Include = TfVariableNames.IsInferenceTensor };
        var seekable = WeightLoader.Load(FilePath, options);
        using var file = File.OpenRead(FilePath);
        var piped = WeightLoader.Load(new NonSeekableStream(file), "pipe", options);

        Assert.That(piped.Format, Is.EqualTo(WeightFileFormat.WtsV2));
        Assert.That(piped.SkippedRecords, Is.EqualTo(seekable.SkippedRecords));
        foreach (var t in seekable)
        {
            Assert.That(piped[t.Name].Values.ToArray(), Is.EqualTo(t.Values.ToArray()), t.Name);
        }
    }

    [Test]
    public void Rewriting_as_v2_reproduces_the_file_byte_for_byte()
    {
        byte[] original = File.ReadAllBytes(FilePath);
        var stream = new MemoryStream();
        WeightFileWriter.Write(stream, WeightLoader.Load(FilePath), WeightFileFormat.WtsV2);
        Assert.That(stream.ToArray().SequenceEqual(original), Is.True);
    }

    [Test]
    public void Converting_to_v1_and_back_keeps_every_value()
    {
        var v2 = WeightLoader.Load(FilePath);
        var stream = new MemoryStream();
        WeightFileWriter.Write(stream, v2, WeightFileFormat.WtsV1);
        stream.Position = 0;
        var v1 = WeightLoader.Load(stream, "v1");

        Assert.That(v1.Format, Is.EqualTo(WeightFileFormat.WtsV1));
        Assert.That(v1.Count, Is.EqualTo(27));
        foreach (var t in v2)
        {
            Assert.That(v1[t.Name].Values.ToArray(), Is.EqualTo(t.Values.ToArray()), t.Name);
        }
    }
}
