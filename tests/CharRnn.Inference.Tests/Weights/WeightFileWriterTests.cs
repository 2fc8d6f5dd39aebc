using System.Text;
using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.Weights;

public class WeightFileWriterTests
{
    // 0x0a200a20 / 0x200a200a put newline and space bytes inside V2 blobs; the NaN payload checks bit exactness.
    private static readonly float s_tricky1 = BitConverter.UInt32BitsToSingle(0x0a200a20);
    private static readonly float s_tricky2 = BitConverter.UInt32BitsToSingle(0x200a200a);

    private static WeightTensor[] Sample() =>
    [
        new("z.scalar", [], [3.25f]),
        new("b-vector:0", [4], [s_tricky1, -0f, float.Epsilon, s_tricky2]),
        new("a/matrix_é", [2, 3], [1, 2, 3, -4, 5e-30f, 6e30f]),
        new("half", [3], [(float)BitConverter.UInt16BitsToHalf(0x0a20), (float)(Half)65504, (float)BitConverter.UInt16BitsToHalf(0x0001)], TensorDataType.Float16),
    ];

    private static WeightSet RoundTrip(WeightTensor[] tensors, WeightFileFormat format, WeightWriteOptions? options = null)
    {
        var stream = new MemoryStream();
        WeightFileWriter.Write(stream, tensors, format, options);
        stream.Position = 0;
        return WeightLoader.Load(stream, "round trip");
    }

    private static uint[] Bits(WeightTensor t) => [.. t.Values.ToArray().Select(BitConverter.SingleToUInt32Bits)];

    [Test]
    public void V2_round_trip_is_exact_and_keeps_types_and_shapes()
    {
        var tensors = Sample();
        var set = RoundTrip(tensors, WeightFileFormat.WtsV2);

        Assert.That(set.Format, Is.EqualTo(WeightFileFormat.WtsV2));
        Assert.That(set.Select(t => t.Name), Is.EqualTo(tensors.Select(t => t.Name).Order(StringComparer.Ordinal)));
        foreach (var t in tensors)
        {
            Assert.That(set[t.Name].Shape, Is.EqualTo(t.Shape), t.Name);
            Assert.That(set[t.Name].StoredType, Is.EqualTo(t.StoredType), t.Name);
            Assert.That(Bits(set[t.Name]), Is.EqualTo(Bits(t)), t.Name);
        }
    }

    [Test]
    public void V2_bytes_are_what_dumpTFWts_writes()
    {
        var stream = new MemoryStream();
        WeightFileWriter.Write(stream, [new WeightTensor("w", [2], [1f, s_tricky1]), new WeightTensor("h", [], [2f], TensorDataType.Float16)], WeightFileFormat.WtsV2);
        byte[] expected = [.. Encoding.ASCII.GetBytes("2\nh 1 () "), 0x00, 0x40, (byte)'\n',
            .. Encoding.ASCII.GetBytes("w 0 (2,) "), 0x00, 0x00, 0x80, 0x3f, 0x20, 0x0a, 0x20, 0x0a, (byte)'\n'];
        Assert.That(stream.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void V1_round_trip_is_exact_and_flattens_shapes()
    {
        var tensors = Sample();
        var set = RoundTrip(tensors, WeightFileFormat.WtsV1);

        Assert.That(set.Format, Is.EqualTo(WeightFileFormat.WtsV1));
        foreach (var t in tensors)
        {
            Assert.That(set[t.Name].Shape, Is.EqualTo(new[] { t.ElementCount }), t.Name);
            Assert.That(Bits(set[t.Name]), Is.EqualTo(Bits(t)), t.Name);
        }
    }

    [Test]
    public void V1_text_is_unpadded_lowercase_hex_each_followed_by_a_space()
    {
        var stream = new MemoryStream();
        WeightFileWriter.Write(stream, [new WeightTensor("w", [3], [1f, 0f, -2.5f])], WeightFileFormat.WtsV1);
        Assert.That(Encoding.ASCII.GetString(stream.ToArray()), Is.EqualTo("1\nw 0 3 3f800000 0 c0200000 \n"));
    }

    [Test]
    public void Forcing_float16_rounds_and_refuses_values_beyond_its_range()
    {
        var set = RoundTrip([new WeightTensor("w", [2], [1f / 3, 2f])], WeightFileFormat.WtsV2, new WeightWriteOptions { ForceType = TensorDataType.Float16 });
        Assert.That(set["w"].StoredType, Is.EqualTo(TensorDataType.Float16));
        Assert.That(set["w"].Values.ToArray(), Is.EqualTo(new[] { (float)(Half)(1f / 3), 2f }));

        Assert.Throws<ArgumentException>(() => WeightFileWriter.Write(new MemoryStream(), [new WeightTensor("w", [1], [70000f])],
            WeightFileFormat.WtsV2, new WeightWriteOptions { ForceType = TensorDataType.Float16 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightFileWriter.Write(new MemoryStream(), [new WeightTensor("w", [1], [1f])],
            WeightFileFormat.WtsV1, new WeightWriteOptions { ForceType = TensorDataType.Float16 }));
    }

    [Test]
    public void Refuses_names_the_format_cannot_hold()
    {
        Assert.Throws<ArgumentException>(() => WeightFileWriter.Write(new MemoryStream(), [new WeightTensor("a b", [1], [1f])], WeightFileFormat.WtsV2));
        Assert.Throws<ArgumentException>(() => WeightFileWriter.Write(new MemoryStream(),
            [new WeightTensor("a", [1], [1f]), new WeightTensor("a", [1], [2f])], WeightFileFormat.WtsV2));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightFileWriter.Write(new MemoryStream(), [], WeightFileFormat.TensorFlowCheckpoint));
    }

    [Test]
    public void Writes_files_by_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"charrnn-writer-{Guid.NewGuid():N}.wts");
        try
        {
            WeightFileWriter.Write(path, Sample(), WeightFileFormat.WtsV2);
            var set = WeightLoader.Load(path);
            Assert.That(set.Count, Is.EqualTo(4));
            Assert.That(File.Exists(path + ".partial"), Is.False);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
