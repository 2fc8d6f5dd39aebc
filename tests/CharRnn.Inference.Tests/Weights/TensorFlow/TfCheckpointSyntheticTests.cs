using CharRnn.Inference.Weights;
using CharRnn.Inference.Weights.TensorFlow;

namespace CharRnn.Inference.Tests.Weights.TensorFlow;

/// <summary>Bundles written by <see cref="TensorBundleWriter"/> cover what the real fixture does not: Snappy, float16, other dtypes, shards.</summary>
public class TfCheckpointSyntheticTests
{
    private string _folder = "";

    private string Prefix => Path.Combine(_folder, "ckpt");

    [SetUp]
    public void CreateFolder()
    {
        _folder = Path.Combine(Path.GetTempPath(), "charrnn-tfsynth-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
    }

    [TearDown]
    public void DeleteFolder() => Directory.Delete(_folder, recursive: true);

    [Test]
    public void Crc32C_matches_published_check_values()
    {
        // The CRC-32C "check" value and the iSCSI test vectors of RFC 3720 section B.4.
        Assert.That(Crc32C.Compute("123456789"u8), Is.EqualTo(0xE3069283u));
        Assert.That(Crc32C.Compute(new byte[32]), Is.EqualTo(0x8A9136AAu));
        Assert.That(Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()), Is.EqualTo(0x62A8AB43u));
        Assert.That(Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()), Is.EqualTo(0x46DD794Eu));
        Assert.That(Crc32C.Compute("1234"u8, "56789"u8), Is.EqualTo(0xE3069283u));
    }

    [Test]
    public void Crc32C_mask_is_leveldbs_rotation_plus_delta()
    {
        uint crc = Crc32C.Compute("foo"u8);
        Assert.That(Crc32C.Mask(crc), Is.EqualTo(((crc >> 15) | (crc << 17)) + 0xa282ead8u));
        Assert.That(Crc32C.Mask(crc), Is.Not.EqualTo(crc));
        Assert.That(Crc32C.Unmask(Crc32C.Mask(crc)), Is.EqualTo(crc));
        Assert.That(Crc32C.Unmask(Crc32C.Mask(Crc32C.Mask(crc))), Is.EqualTo(Crc32C.Mask(crc)));
    }

    [Test]
    public void Snappy_blocks_with_shared_key_prefixes_over_many_blocks_read_back()
    {
        var writer = new TensorBundleWriter { Snappy = true, EntriesPerBlock = 4, RestartInterval = 3 };
        var expected = new Dictionary<string, float[]>();
        for (int i = 0; i < 23; i++)
        {
            string name = $"rnn/multi_rnn_cell/cell_{i:D2}/basic_lstm_cell/kernel";
            float[] values = [.. Enumerable.Range(0, 6).Select(j => (i * 10) + j + 0.5f)];
            expected[CharRnn.Inference.Model.TfVariableNames.ToWtsName(name)] = values;
            writer.AddFloats(name, [2, 3], values);
        }
        writer.Write(Prefix);
        Assert.That(IndexBlockTypes(), Has.Some.EqualTo(1), "the writer really compressed");

        var weights = WeightLoader.Load(Prefix);
        Assert.That(weights.Select(t => t.Name), Is.EqualTo(expected.Keys.Order(StringComparer.Ordinal)));
        foreach (var (name, values) in expected)
        {
            Assert.That(weights[name].Values.ToArray(), Is.EqualTo(values), name);
            Assert.That(weights[name].Shape, Is.EqualTo(new[] { 2, 3 }), name);
        }
    }

    [Test]
    public void Float16_tensors_widen_exactly()
    {
        Half[] halves = [(Half)1.5f, (Half)(-2.25f), Half.Epsilon, (Half)65504f, (Half)0.099975586f, Half.NegativeZero];
        new TensorBundleWriter().AddHalves("embedding", [2, 3], halves).Write(Prefix);

        var tensor = WeightLoader.Load(Prefix)["embedding"];
        Assert.That(tensor.StoredType, Is.EqualTo(TensorDataType.Float16));
        Assert.That(tensor.Values.ToArray(), Is.EqualTo(halves.Select(h => (float)h).ToArray()));
        Assert.That(float.IsNegative(tensor.Values[5]), Is.True, "negative zero keeps its sign");
    }

    [Test]
    public void Big_endian_bundles_are_byte_swapped()
    {
        Half[] halves = [(Half)1.5f, (Half)(-3f)];
        new TensorBundleWriter { BigEndian = true }
            .AddFloats("softmax/softmax_b", [3], [1f, -2.5f, 1e-30f])
            .AddHalves("embedding", [2], halves)
            .Write(Prefix);

        var weights = WeightLoader.Load(Prefix);
        Assert.That(weights["softmax_softmax_b"].Values.ToArray(), Is.EqualTo(new[] { 1f, -2.5f, 1e-30f }));
        Assert.That(weights["embedding"].Values.ToArray(), Is.EqualTo(new[] { 1.5f, -3f }));
    }

    [Test]
    public void Unsupported_dtypes_are_named_when_included_and_skipped_when_not()
    {
        new TensorBundleWriter()
            .Add(new TensorBundleWriter.Tensor("global_step", TensorBundleWriter.DtInt64, [], BitConverter.GetBytes(85340L)))
            .AddFloats("softmax/softmax_b", [2], [1f, 2f])
            .Write(Prefix);

        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.TensorName, Is.EqualTo("global_step"));
        Assert.That(e.Message, Does.Contain("unsupported dtype DT_INT64"));

        var weights = WeightLoader.Load(Prefix, new WeightLoadOptions { Include = n => n != "global_step" });
        Assert.That(weights.Select(t => t.Name), Is.EqualTo(new[] { "softmax_softmax_b" }));
        Assert.That(weights.SkippedRecords, Is.EqualTo(new[] { "global_step" }));
    }

    [Test]
    public void Tensors_are_read_from_their_own_shard()
    {
        new TensorBundleWriter { NumShards = 2 }
            .AddFloats("a", [2], [1f, 2f], shard: 0)
            .AddFloats("b", [3], [3f, 4f, 5f], shard: 1)
            .AddFloats("c", [1], [6f], shard: 1)
            .Write(Prefix);
        Assert.That(File.Exists(Prefix + ".data-00001-of-00002"), Is.True);

        var weights = WeightLoader.Load(Prefix);
        Assert.That(weights["a"].Values.ToArray(), Is.EqualTo(new[] { 1f, 2f }));
        Assert.That(weights["b"].Values.ToArray(), Is.EqualTo(new[] { 3f, 4f, 5f }));
        Assert.That(weights["c"].Values.ToArray(), Is.EqualTo(new[] { 6f }));

        // A shard holding only skipped tensors is never opened.
        File.Delete(Prefix + ".data-00001-of-00002");
        Assert.That(WeightLoader.Load(Prefix, new WeightLoadOptions { Include = n => n == "a" }), Has.Count.EqualTo(1));
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("'ckpt.data-00001-of-00002' is missing"));
    }

    [Test]
    public void Partitioned_variables_are_refused_by_name()
    {
        new TensorBundleWriter()
            .Add(new TensorBundleWriter.Tensor("softmax/softmax_w", TensorBundleWriter.DtFloat, [1], new byte[4]) { Partitioned = true })
            .Write(Prefix);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("partitioned variable"));
        Assert.That(e.TensorName, Is.EqualTo("softmax_softmax_w"));
    }

    [Test]
    public void Slice_entries_of_a_skipped_partitioned_variable_are_not_listed()
    {
        // TensorFlow keys a slice by EncodeTensorNameSlice: a 0 byte, then the ordered-code name and extents (binary).
        byte[] notAProto = [0xFF, 0xFF, 0xFF];
        new TensorBundleWriter()
            .Add(new TensorBundleWriter.Tensor("w", TensorBundleWriter.DtFloat, [2], new byte[8]) { Partitioned = true })
            .Add(new TensorBundleWriter.Tensor("\0\u0001w\u0001\u0001", TensorBundleWriter.DtFloat, [1], new byte[4]) { RawEntry = notAProto })
            .AddFloats("b", [1], [7f])
            .Write(Prefix);

        var weights = WeightLoader.Load(Prefix, new WeightLoadOptions { Include = n => n != "w" });
        Assert.That(weights.Select(t => t.Name), Is.EqualTo(new[] { "b" }));
        Assert.That(weights.SkippedRecords, Is.EqualTo(new[] { "w" }));
        Assert.That(() => WeightLoader.Load(Prefix), Throws.TypeOf<WeightFormatException>().With.Property(nameof(WeightFormatException.TensorName)).EqualTo("w"));
    }

    [Test]
    public void A_size_that_disagrees_with_the_shape_is_refused_before_reading()
    {
        new TensorBundleWriter()
            .Add(new TensorBundleWriter.Tensor("w", TensorBundleWriter.DtFloat, [1_000_000, 1_000_000], new byte[8]) { SizeOverride = 8 })
            .Write(Prefix);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.TensorName, Is.EqualTo("w"));
        Assert.That(e.Message, Does.Contain("more elements than one array can hold"));

        new TensorBundleWriter()
            .Add(new TensorBundleWriter.Tensor("w", TensorBundleWriter.DtFloat, [3], new byte[8]))
            .Write(Prefix);
        e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("which is 12 bytes, but its index entry says 8 bytes"));
    }

    [Test]
    public void Negative_dimensions_are_refused()
    {
        new TensorBundleWriter()
            .Add(new TensorBundleWriter.Tensor("w", TensorBundleWriter.DtFloat, [-1, 2], new byte[8]))
            .Write(Prefix);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("dimension 0 of size -1"));
    }

    [Test]
    public void Non_finite_values_are_refused_unless_asked_to_warn()
    {
        new TensorBundleWriter().AddFloats("softmax/softmax_b", [3], [1f, float.NaN, float.PositiveInfinity]).Write(Prefix);

        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.TensorName, Is.EqualTo("softmax_softmax_b"));
        Assert.That(e.Message, Does.Contain("2 non-finite value(s)").And.Contain("element 1"));

        var weights = WeightLoader.Load(Prefix, new WeightLoadOptions { NonFiniteWeights = NonFiniteWeightPolicy.Warn });
        Assert.That(float.IsNaN(weights["softmax_softmax_b"].Values[1]), Is.True);
    }

    [Test]
    public void An_index_without_a_bundle_header_is_refused()
    {
        new TensorBundleWriter { WriteHeader = false }.AddFloats("a", [1], [1f]).Write(Prefix);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("no bundle header"));
    }

    [Test]
    public void A_shard_id_beyond_num_shards_is_refused()
    {
        // dtype 1, shape [1], shard_id 5, size 4, crc32c 0: hand-encoded, as the writer only places tensors in real shards.
        byte[] entry = [0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08, 0x01, 0x18, 0x05, 0x28, 0x04, 0x35, 0, 0, 0, 0];
        new TensorBundleWriter().Add(new TensorBundleWriter.Tensor("a", TensorBundleWriter.DtFloat, [1], new byte[4]) { RawEntry = entry }).Write(Prefix);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("data shard 5, but the bundle header declares 1"));
    }

    [Test]
    public void A_malformed_entry_proto_names_its_tensor()
    {
        byte[] truncatedVarint = [0x08, 0x01, 0x28, 0x80];
        new TensorBundleWriter().Add(new TensorBundleWriter.Tensor("w", TensorBundleWriter.DtFloat, [1], new byte[4]) { RawEntry = truncatedVarint }).Write(Prefix);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("Malformed BundleEntryProto"));
        Assert.That(e.TensorName, Is.EqualTo("w"));
    }

    [Test]
    public void An_unknown_compression_type_is_refused()
    {
        new TensorBundleWriter { CompressionTypeOverride = 7 }.AddFloats("a", [1], [1f]).Write(Prefix);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("compression type 7"));
    }

    [Test]
    public void Garbage_marked_as_snappy_with_a_valid_checksum_is_refused()
    {
        // Type 1 on uncompressed blocks: the CRC matches, but the bytes are no Snappy stream of a block. (Snappier decodes the
        // leading 0x00 as an empty block and ignores the rest, so the error comes from the block parser.)
        new TensorBundleWriter { CompressionTypeOverride = 1 }.AddFloats("a", [1], [1f]).Write(Prefix);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("index block"));
    }

    [Test]
    public void A_snappy_block_claiming_a_huge_length_is_refused_before_allocating()
    {
        // Snappy's preamble is the uncompressed length as a varint: 0xFFFFFFFF07 claims 2^31 - 1 bytes from 7.
        byte[] bomb = [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00, 0x00];
        new TensorBundleWriter { Snappy = true, DataBlockOverride = bomb }.AddFloats("a", [1], [1f]).Write(Prefix);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("Snappy-compressed data block").And.Contain("claims 2147483647 uncompressed bytes from 7"));
    }

    [Test]
    public void A_truncated_snappy_stream_is_refused()
    {
        byte[] compressed = Snappier.Snappy.CompressToArray(new byte[100]);
        new TensorBundleWriter { Snappy = true, DataBlockOverride = compressed[..^1] }.AddFloats("a", [1], [1f]).Write(Prefix);
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(Prefix))!;
        Assert.That(e.Message, Does.Contain("cannot be decompressed"));
    }

    /// <summary>Compression type bytes of every block in the index file, found by walking the blocks and their trailers.</summary>
    private List<byte> IndexBlockTypes()
    {
        byte[] index = File.ReadAllBytes(Prefix + ".index");
        var types = new List<byte>();
        int pos = 0;
        int dataEnd = index.Length - SsTableReader.FooterSize;
        while (pos < dataEnd)
        {
            int size = FindBlockSize(index, pos, dataEnd);
            types.Add(index[pos + size]);
            pos += size + SsTableReader.BlockTrailerSize;
        }
        return types;
    }

    /// <summary>The size of the block starting at <paramref name="start"/>: the first length whose trailer CRC matches.</summary>
    private static int FindBlockSize(byte[] file, int start, int end)
    {
        for (int size = 0; start + size + SsTableReader.BlockTrailerSize <= end; size++)
        {
            uint stored = BitConverter.ToUInt32(file, start + size + 1);
            if (Crc32C.Mask(Crc32C.Compute(file.AsSpan(start, size + 1))) == stored)
            {
                return size;
            }
        }
        Assert.Fail($"no block starts at byte {start}");
        return 0;
    }
}
