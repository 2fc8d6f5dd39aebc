using CharRnn.Inference.Weights;
using CharRnn.Inference.Weights.Wts;
using Microsoft.Extensions.Logging.Abstractions;
using static CharRnn.Inference.Tests.Weights.WtsBytes;

namespace CharRnn.Inference.Tests.Weights;

public class WeightFileV1ReaderTests
{
    private static WeightSet Read(string text, WeightLoadOptions? options = null)
        => WeightFileV1Reader.Read(new MemoryStream(Ascii(text)), "test.wts", options ?? WeightLoadOptions.Default, NullLogger.Instance);

    private static WeightFormatException Fails(string text, WeightLoadOptions? options = null)
        => Assert.Throws<WeightFormatException>(() => Read(text, options))!;

    [Test]
    public void Reads_unpadded_hex_of_either_case_as_float32_bits()
    {
        var set = Read("2\na 0 4 3f800000 0 BF800000 7f7fffff \nb 1 1 40490fdb \n");

        Assert.That(set.Format, Is.EqualTo(WeightFileFormat.WtsV1));
        Assert.That(set["a"].Shape, Is.EqualTo(new[] { 4 }));
        Assert.That(set["a"].Values.ToArray(), Is.EqualTo(new[] { 1f, 0f, -1f, float.MaxValue }));
        // Type 1 means nothing in V1: the value is still a float32 bit pattern.
        Assert.That(set["b"].Values[0], Is.EqualTo(BitConverter.UInt32BitsToSingle(0x40490fdb)));
        Assert.That(set["b"].StoredType, Is.EqualTo(TensorDataType.Float32));
    }

    [Test]
    public void Accepts_empty_tensors_missing_trailing_space_and_windows_line_ends()
    {
        var set = Read("3\r\ne 0 0\r\nf 0 2 1 2\r\ng 0 1 3f800000");
        Assert.That(set["e"].Values.ToArray(), Is.Empty);
        Assert.That(set["f"].Values.ToArray().Select(BitConverter.SingleToUInt32Bits), Is.EqualTo(new uint[] { 1, 2 }));
        Assert.That(set["g"].Values[0], Is.EqualTo(1f));
    }

    [Test]
    public void Loader_detects_v1()
    {
        var set = WeightLoader.Load(new MemoryStream(Ascii("1\nw 0 1 3f800000 \n")), "test.wts");
        Assert.That(set.Format, Is.EqualTo(WeightFileFormat.WtsV1));
    }

    [Test]
    public void Too_few_values_fails_where_the_line_ends()
    {
        var e = Fails("1\nw 0 3 1 2 \n");
        Assert.That(e.Message, Does.Contain("Too few values").And.Contain("declares 3").And.Contain("after 2"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", 12L)));
    }

    [Test]
    public void Too_many_values_fails_at_the_extra_value()
    {
        var e = Fails("2\nw 0 2 1 2 3 \nb 0 0 \n");
        Assert.That(e.Message, Does.Contain("Too many values"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", 12L)));
    }

    [TestCase("3g800000", 9L)]
    [TestCase("1ffffffff", 8L)]
    [TestCase("-1", 8L)]
    public void Bad_hex_fails_naming_the_value(string value, long offset)
    {
        var e = Fails($"1\nw 0 1 {value} \n");
        Assert.That(e.Message, Does.Contain("Value 0"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", offset)));
    }

    [TestCase("1\nw 0 x 1 \n")]
    [TestCase("1\nw 0 -1 1 \n")]
    [TestCase("1\nw x 1 1 \n")]
    public void Bad_count_or_type_field_fails(string text)
    {
        var e = Fails(text);
        Assert.That((e.RecordIndex, e.TensorName), Is.EqualTo((0, "w")));
    }

    [Test]
    public void Count_larger_than_the_file_can_hold_fails_before_allocation()
    {
        var e = Fails("1\nw 0 1000000000 1 \n");
        Assert.That(e.Message, Does.Contain("declares 1000000000 values"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", 6L)));
    }

    [Test]
    public void Fewer_records_than_the_count_fails()
    {
        var e = Fails("3\na 0 1 1 \nb 0 1 2 \n");
        Assert.That(e.RecordIndex, Is.EqualTo(2));
        Assert.That(e.ByteOffset, Is.EqualTo(20));
    }

    [Test]
    public void Duplicate_names_and_trailing_data_fail()
    {
        Assert.That(Fails("2\na 0 1 1 \na 0 1 2 \n").RecordIndex, Is.EqualTo(1));
        var e = Fails("1\na 0 1 1 \nextra\n");
        Assert.That((e.RecordIndex, e.ByteOffset), Is.EqualTo((1, 11L)));
    }

    [Test]
    public void Skipped_records_are_checked_but_not_loaded()
    {
        var options = new WeightLoadOptions { Include = n => n == "b" };
        var set = Read("2\na 0 2 1 2 \nb 0 1 3f800000 \n", options);
        Assert.That(set.Select(t => t.Name), Is.EqualTo(new[] { "b" }));
        Assert.That(set.SkippedRecords, Is.EqualTo(new[] { "a" }));
        Assert.That(Fails("2\na 0 2 1 zz \nb 0 1 3f800000 \n", options).TensorName, Is.EqualTo("a"));
    }

    [Test]
    public void Non_finite_value_fails_at_its_offset()
    {
        var e = Fails("1\nw 0 3 0 7fc00000 ff800000 \n");
        Assert.That(e.Message, Does.Contain("2 non-finite values").And.Contain("element 1"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", 10L)));
    }

    [Test]
    public void Reads_a_non_seekable_stream()
    {
        string values = string.Join(' ', Enumerable.Range(0, 100_000).Select(i => BitConverter.SingleToUInt32Bits(i).ToString("x")));
        var stream = new NonSeekableStream(new MemoryStream(Ascii($"1\nw 0 100000 {values} \n")));
        var set = WeightLoader.Load(stream, "pipe");
        Assert.That(set.Format, Is.EqualTo(WeightFileFormat.WtsV1));
        Assert.That(set["w"].Values.ToArray(), Is.EqualTo(Enumerable.Range(0, 100_000).Select(i => (float)i).ToArray()));
    }
}
