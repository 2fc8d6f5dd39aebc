using CharRnn.Inference.Weights;
using static CharRnn.Inference.Tests.Weights.WtsBytes;

namespace CharRnn.Inference.Tests.Weights;

public class WeightLoaderTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void Data_without_a_count_line_fails_at_offset_0(bool pipe)
    {
        foreach (string text in new[] { "", "not a weight file" })
        {
            Stream stream = new MemoryStream(Ascii(text));
            var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(pipe ? new NonSeekableStream(stream) : stream, "x.wts"))!;
            Assert.That(e.Message, Does.Contain("record count"));
            Assert.That(e.ByteOffset, Is.EqualTo(0));
        }
    }

    [Test]
    public void Zero_records_load_as_an_empty_set() => Assert.That(WeightLoader.Load(new MemoryStream(Ascii("0\n")), "x.wts"), Is.Empty);

    [Test]
    public void Detects_v2_and_v1_from_the_first_record_of_a_pipe()
    {
        var v2 = WeightLoader.Load(new NonSeekableStream(new MemoryStream(File(1, V2Record("w", 0, "(1,)", F32(1f))))), "pipe");
        var v1 = WeightLoader.Load(new NonSeekableStream(new MemoryStream(Ascii("1\nw 0 1 3f800000 \n"))), "pipe");
        Assert.That((v2.Format, v2["w"].Values[0]), Is.EqualTo((WeightFileFormat.WtsV2, 1f)));
        Assert.That((v1.Format, v1["w"].Values[0]), Is.EqualTo((WeightFileFormat.WtsV1, 1f)));
    }

    [Test]
    public void Missing_file_is_reported_as_such()
        => Assert.Throws<FileNotFoundException>(() => WeightLoader.Load(Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.wts")));

    [Test]
    public void Reading_starts_at_the_stream_position_and_offsets_are_stream_positions()
    {
        byte[] prefix = Ascii("JUNK");
        byte[] body = [.. Ascii("1\nw 0 (2,) "), .. F32(1, 2)];
        var stream = new MemoryStream([.. prefix, .. body]) { Position = prefix.Length };
        var e = Assert.Throws<WeightFormatException>(() => WeightLoader.Load(stream, "x.wts"))!;
        // The blob is 8 bytes but the newline after it is missing: the end of the data, at the stream's end.
        Assert.That(e.ByteOffset, Is.EqualTo(prefix.Length + body.Length));
    }
}
