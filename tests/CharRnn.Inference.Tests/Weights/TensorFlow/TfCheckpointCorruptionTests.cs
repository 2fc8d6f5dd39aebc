using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;
using CharRnn.Inference.Weights.TensorFlow;

namespace CharRnn.Inference.Tests.Weights.TensorFlow;

/// <summary>Damaged copies of the real checkpoint: each must give a typed error that says what and where.</summary>
public class TfCheckpointCorruptionTests
{
    private const string Kernel0 = "rnn_multi_rnn_cell_cell_0_basic_lstm_cell_kernel";
    private const string Kernel0Adam = "rnn_multi_rnn_cell_cell_0_basic_lstm_cell_kernel_Adam";
    private static readonly WeightLoadOptions InferenceOnly = new() { Include = TfVariableNames.IsInferenceTensor };
    private string _folder = "";
    private string _prefix = "";

    private string IndexPath => _prefix + ".index";

    private string DataPath => Path.Combine(_folder, CheckpointFixture.DataFileName);

    [SetUp]
    public void CopyCheckpoint()
    {
        _folder = Path.Combine(Path.GetTempPath(), "charrnn-tfckpt-" + Guid.NewGuid().ToString("N"));
        _prefix = CheckpointFixture.CopyTo(_folder);
    }

    [TearDown]
    public void DeleteCopy() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void The_unmodified_copy_loads()
        => Assert.That(WeightLoader.Load(_prefix, InferenceOnly), Has.Count.EqualTo(6));

    [Test]
    public void A_flipped_byte_in_the_index_data_block_fails_its_block_checksum()
    {
        FlipByte(IndexPath, 100);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly))!;
        Assert.That(e.Message, Does.Contain("Checksum mismatch in the data block at byte offset 0"));
        Assert.That(e.SourceName, Is.EqualTo(IndexPath));
        Assert.That(e.ByteOffset, Is.Zero);
    }

    [Test]
    public void A_flipped_byte_in_the_index_block_fails_its_checksum()
    {
        var (_, indexBlockOffset) = Handles(File.ReadAllBytes(IndexPath));
        FlipByte(IndexPath, indexBlockOffset + 1);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly))!;
        Assert.That(e.Message, Does.Contain("Checksum mismatch in the index block"));
        Assert.That(e.ByteOffset, Is.EqualTo(indexBlockOffset));
    }

    [Test]
    public void A_flipped_byte_in_tensor_data_fails_that_tensors_checksum()
    {
        FlipByte(DataPath, DataOffsetOf(Kernel0) + 1000);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly))!;
        Assert.That(e.TensorName, Is.EqualTo(Kernel0));
        Assert.That(e.Message, Does.Contain("Checksum mismatch for 'rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel'"));
        Assert.That(e.SourceName, Is.EqualTo(DataPath));
    }

    [Test]
    public void Skipped_tensors_are_not_read()
    {
        FlipByte(DataPath, DataOffsetOf(Kernel0Adam) + 1000);

        var weights = WeightLoader.Load(_prefix, InferenceOnly);
        Assert.That(weights.SkippedRecords, Does.Contain(Kernel0Adam));

        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix))!;
        Assert.That(e.TensorName, Is.EqualTo(Kernel0Adam), "the damage is real: reading everything finds it");
    }

    [Test]
    public void A_truncated_index_is_refused_by_its_footer()
    {
        Truncate(IndexPath, 1000);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly))!;
        Assert.That(e.Message, Does.Contain("table magic number"));
    }

    [Test]
    public void An_index_shorter_than_a_footer_is_refused()
    {
        Truncate(IndexPath, 20);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly))!;
        Assert.That(e.Message, Does.Contain("shorter than the 48-byte table footer"));
    }

    [Test]
    public void An_empty_index_is_refused()
    {
        Truncate(IndexPath, 0);
        Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly));
    }

    [Test]
    public void A_wrong_magic_number_is_refused()
    {
        FlipByte(IndexPath, new FileInfo(IndexPath).Length - 1);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly))!;
        Assert.That(e.Message, Does.Contain("0xdb4775248b80fb57"));
    }

    [Test]
    public void A_block_handle_past_the_end_is_refused_before_allocating()
    {
        // Point the footer's index handle far past the file: the size check must come before any read or allocation.
        byte[] index = File.ReadAllBytes(IndexPath);
        int footer = index.Length - SsTableReader.FooterSize;
        byte[] handles = [0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0x07]; // (0,0), (2^31-1, 2^31-1)
        Array.Clear(index, footer, 40);
        handles.CopyTo(index, footer);
        File.WriteAllBytes(IndexPath, index);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly))!;
        Assert.That(e.Message, Does.Contain("runs past the table data"));
    }

    [Test]
    public void A_missing_data_shard_names_the_file()
    {
        File.Delete(DataPath);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly))!;
        Assert.That(e.Message, Does.Contain($"'{CheckpointFixture.DataFileName}' is missing"));
        Assert.That(e.SourceName, Is.EqualTo(DataPath));
    }

    [Test]
    public void A_truncated_data_file_names_the_first_tensor_past_its_end()
    {
        long cut = DataOffsetOf(Kernel0) + 10;
        Truncate(DataPath, cut);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly))!;
        Assert.That(e.TensorName, Is.EqualTo(Kernel0));
        Assert.That(e.Message, Does.Contain($"the data file is {cut} bytes long"));
    }

    [Test]
    public void A_missing_index_is_not_taken_for_a_checkpoint()
    {
        File.Delete(IndexPath);
        Assert.Throws<FileNotFoundException>(() => WeightLoader.Load(_prefix, InferenceOnly));
    }

    [Test]
    public void CharRnnModel_reports_a_damaged_checkpoint_as_a_weight_format_error()
    {
        FlipByte(DataPath, DataOffsetOf("softmax_softmax_w") + 3);
        var e = Assert.Throws<WeightFormatException>(() => CharRnnModel.Load(_prefix, new ModelLoadOptions { VocabularyPath = CheckpointFixture.VocabPath }))!;
        Assert.That(e.TensorName, Is.EqualTo("softmax_softmax_w"));
    }

    [Test]
    public void Every_single_byte_flip_in_the_index_loads_identically_or_gives_a_weight_format_error()
    {
        byte[] original = File.ReadAllBytes(IndexPath);
        // One small tensor keeps the 1042 loads quick; every index entry is still decoded on each load.
        var options = new WeightLoadOptions { Include = n => n == "softmax_softmax_b" };
        var reference = WeightLoader.Load(_prefix, options);
        int loaded = 0;
        for (int i = 0; i < original.Length; i++)
        {
            byte[] damaged = (byte[])original.Clone();
            damaged[i] ^= 0x41;
            File.WriteAllBytes(IndexPath, damaged);
            try
            {
                var weights = WeightLoader.Load(_prefix, options);
                // Only bytes no reader needs (the unused metaindex block, footer padding) may change without an error.
                Assert.That(weights.Select(t => t.ToString()), Is.EqualTo(reference.Select(t => t.ToString())), $"byte {i}");
                Assert.That(weights.SkippedRecords, Is.EqualTo(reference.SkippedRecords), $"byte {i}");
                Assert.That(weights.Single().Values.ToArray(), Is.EqualTo(reference.Single().Values.ToArray()), $"byte {i}");
                loaded++;
            }
            catch (WeightFormatException)
            {
            }
        }
        Assert.That(loaded, Is.LessThan(original.Length / 10), "almost every byte is covered by a checksum or the magic");
    }

    [Test]
    public void Every_truncation_of_the_index_gives_a_weight_format_error()
    {
        byte[] original = File.ReadAllBytes(IndexPath);
        for (int length = 0; length < original.Length; length++)
        {
            File.WriteAllBytes(IndexPath, original[..length]);
            Assert.Throws<WeightFormatException>(() => WeightLoader.Load(_prefix, InferenceOnly), $"length {length}");
        }
    }

    /// <summary>Byte offset of a tensor in the data shard, from the (intact) fixture's index.</summary>
    private static long DataOffsetOf(string wtsName)
    {
        foreach (var entry in SsTableReader.ReadAll(CheckpointFixture.Prefix + ".index").Skip(1))
        {
            if (TfVariableNames.ToWtsName(System.Text.Encoding.UTF8.GetString(entry.Key)) == wtsName)
            {
                return TfBundleEntry.Parse(entry.Value).Offset;
            }
        }
        Assert.Fail($"{wtsName} is not in the fixture");
        return 0;
    }

    /// <summary>The footer's metaindex and index block offsets, decoded here from the varints (single-byte or two-byte).</summary>
    private static (long Meta, long Index) Handles(byte[] index)
    {
        int pos = index.Length - SsTableReader.FooterSize;
        long Varint()
        {
            long value = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = index[pos++];
                value |= (long)(b & 0x7F) << shift;
                if (b < 0x80) return value;
            }
        }
        long meta = Varint();
        Varint();
        long indexOffset = Varint();
        return (meta, indexOffset);
    }

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        int b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x5A));
    }

    private static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.SetLength(length);
    }
}
