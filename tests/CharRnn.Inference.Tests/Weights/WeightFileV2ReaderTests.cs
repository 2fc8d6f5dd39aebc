using CharRnn.Inference.Weights;
using CharRnn.Inference.Weights.Wts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static CharRnn.Inference.Tests.Weights.WtsBytes;

namespace CharRnn.Inference.Tests.Weights;

public class WeightFileV2ReaderTests
{
    private static WeightSet Read(byte[] bytes, WeightLoadOptions? options = null, ILogger? logger = null)
        => WeightFileV2Reader.Read(new MemoryStream(bytes), "test.wts", options ?? WeightLoadOptions.Default, logger ?? NullLogger.Instance);

    private static WeightFormatException Fails(byte[] bytes, WeightLoadOptions? options = null)
        => Assert.Throws<WeightFormatException>(() => Read(bytes, options))!;

    [Test]
    public void Reads_scalar_vector_and_matrix_with_blobs_holding_newlines_and_spaces()
    {
        // 0x0a200a20 as little-endian float32 is the bytes 20 0a 20 0a: a space and a newline inside the blob.
        float tricky = BitConverter.UInt32BitsToSingle(0x0a200a20);
        byte[] bytes = File(3,
            V2Record("s", 0, "()", F32(2.5f)),
            V2Record("v", 0, "(3,)", F32(tricky, -1f, tricky)),
            V2Record("m", 0, "(2, 2)", F32(1, 2, 3, 4)));

        var set = Read(bytes);

        Assert.That(set.Format, Is.EqualTo(WeightFileFormat.WtsV2));
        Assert.That(set.Select(t => t.Name), Is.EqualTo(new[] { "s", "v", "m" }));
        Assert.That(set["s"].Shape, Is.Empty);
        Assert.That(set["s"].Values.ToArray(), Is.EqualTo(new[] { 2.5f }));
        Assert.That(set["v"].Shape, Is.EqualTo(new[] { 3 }));
        Assert.That(set["v"].Values.ToArray().Select(BitConverter.SingleToUInt32Bits), Is.EqualTo(new uint[] { 0x0a200a20, 0xbf800000, 0x0a200a20 }));
        Assert.That(set["m"].Shape, Is.EqualTo(new[] { 2, 2 }));
        Assert.That(set["m"].Values.ToArray(), Is.EqualTo(new float[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void Float16_widens_exactly()
    {
        ushort[] bits = [0x3c00, 0x7bff, 0x0001, 0xc000, 0x0a20];
        byte[] blob = [.. bits.SelectMany(b => new[] { (byte)b, (byte)(b >> 8) })];

        var t = Read(File(1, V2Record("h", 1, "(5,)", blob)))["h"];

        Assert.That(t.StoredType, Is.EqualTo(TensorDataType.Float16));
        float[] expected = [1f, 65504f, MathF.Pow(2, -24), -2f, (float)BitConverter.UInt16BitsToHalf(0x0a20)];
        Assert.That(t.Values.ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Accepts_python2_long_suffix_in_shapes()
        => Assert.That(Read(File(1, V2Record("w", 0, "(2L, 1L)", F32(1, 2))))["w"].Shape, Is.EqualTo(new[] { 2, 1 }));

    [Test]
    public void Empty_file_with_zero_count_loads_nothing() => Assert.That(Read(Ascii("0\n")), Is.Empty);

    [TestCase("")]
    [TestCase("abc\n")]
    [TestCase("-1\n")]
    [TestCase("12")]
    public void Missing_or_bad_count_header_fails_at_offset_0(string text)
    {
        var e = Fails(Ascii(text));
        Assert.That(e.Message, Does.Contain("record count"));
        Assert.That(e.RecordIndex, Is.Null);
        Assert.That(e.ByteOffset, Is.EqualTo(text == "12" ? 2 : 0));
    }

    [Test]
    public void Absurd_count_fails() => Assert.That(Fails(Ascii("99999999999\n")).Message, Does.Contain("more than 10 digits"));

    [Test]
    public void Count_larger_than_the_file_can_hold_fails_before_reading_records()
    {
        var e = Fails(File(1000, V2Record("a", 0, "()", F32(1))));
        Assert.That(e.Message, Does.Contain("1000 records"));
        Assert.That(e.ByteOffset, Is.EqualTo(0));
    }

    [Test]
    public void Fewer_records_than_the_count_names_the_missing_record()
    {
        byte[] bytes = File(3, V2Record("a", 0, "(4,)", F32(1, 2, 3, 4)), V2Record("b", 0, "(4,)", F32(5, 6, 7, 8)));
        var e = Fails(bytes);
        Assert.That(e.Message, Does.Contain("ends after 2 of the 3 records"));
        Assert.That(e.RecordIndex, Is.EqualTo(2));
        Assert.That(e.ByteOffset, Is.EqualTo(bytes.Length));
    }

    [Test]
    public void Truncated_blob_fails_at_the_blob_start()
    {
        byte[] head = Ascii("1\nw 0 (10,) ");
        byte[] bytes = [.. head, .. F32(1, 2)];
        var e = Fails(bytes);
        Assert.That(e.Message, Does.Contain("needs 40 bytes but only 8 are left"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", (long)head.Length)));
    }

    [Test]
    public void Truncated_blob_on_a_non_seekable_stream_fails_too()
    {
        byte[] head = Ascii("1\nw 0 (10,) ");
        var stream = new NonSeekableStream(new MemoryStream([.. head, .. F32(1, 2)]));
        var e = Assert.Throws<WeightFormatException>(() => WeightFileV2Reader.Read(stream, "pipe", WeightLoadOptions.Default, NullLogger.Instance))!;
        Assert.That(e.Message, Does.Contain("only 8 are left"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", (long)head.Length)));
    }

    [Test]
    public void Missing_newline_after_blob_names_the_byte_found()
    {
        byte[] head = Ascii("2\nw 0 (1,) ");
        byte[] bytes = [.. head, .. F32(1), (byte)'X', .. V2Record("b", 0, "()", F32(2))];
        var e = Fails(bytes);
        Assert.That(e.Message, Does.Contain("found byte 0x58 ('X')"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", (long)head.Length + 4)));
    }

    [Test]
    public void Eight_byte_scalar_written_as_type_0_fails_at_the_newline_check_with_a_hint()
    {
        // What dumpTFWts.py would write for an int64 global_step: type 0, shape (), but 8 bytes.
        byte[] head = Ascii("1\nglobal_step 0 () ");
        byte[] bytes = [.. head, .. BitConverter.GetBytes(85340L), (byte)'\n'];
        var e = Fails(bytes);
        Assert.That(e.Message, Does.Contain("writes type 0"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "global_step", (long)head.Length + 4)));
    }

    [TestCase("(-1,)")]
    [TestCase("(99999999999,)")]
    [TestCase("(3, x)")]
    [TestCase("(3,,)")]
    [TestCase("[3]")]
    [TestCase("(1.5,)")]
    public void Bad_shape_text_fails_at_the_shape(string shape)
    {
        byte[] head = Ascii("1\nw 0 ");
        var e = Fails([.. head, .. Ascii(shape + " "), .. F32(1, 2, 3), (byte)'\n']);
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", (long)head.Length)));
    }

    [Test]
    public void Shape_whose_element_count_overflows_fails()
    {
        var e = Fails([.. Ascii("1\nw 0 (2147483647, 2147483647, 2147483647) "), .. F32(1), (byte)'\n']);
        Assert.That(e.Message, Does.Contain("64-bit").Or.Contain("too large"));
        Assert.That(e.TensorName, Is.EqualTo("w"));
    }

    [Test]
    public void Empty_name_fails()
    {
        var e = Fails(File(1, V2Record("", 0, "()", F32(1))));
        Assert.That(e.Message, Does.Contain("Empty tensor name"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, (string?)null, 2L)));
    }

    [Test]
    public void Duplicate_name_fails_on_the_second_occurrence()
    {
        byte[] first = V2Record("w", 0, "()", F32(1));
        var e = Fails(File(2, first, V2Record("w", 0, "()", F32(2))));
        Assert.That(e.Message, Does.Contain("Duplicate"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((1, "w", 2L + first.Length)));
    }

    [Test]
    public void Duplicate_name_among_skipped_records_fails_too()
    {
        var e = Fails(File(2, V2Record("w", 0, "()", F32(1)), V2Record("w", 0, "()", F32(2))), new WeightLoadOptions { Include = _ => false });
        Assert.That((e.RecordIndex, e.TensorName), Is.EqualTo((1, "w")));
    }

    [Test]
    public void Trailing_data_after_the_last_record_fails()
    {
        byte[] bytes = File(1, V2Record("w", 0, "()", F32(1)));
        var e = Fails([.. bytes, .. Ascii("junk")]);
        Assert.That(e.Message, Does.Contain("after the last of the 1 records").And.Contain("4 bytes"));
        Assert.That((e.RecordIndex, e.ByteOffset), Is.EqualTo((1, (long)bytes.Length)));
    }

    [TestCase("9")]
    [TestCase("abc")]
    [TestCase("-1")]
    public void Unknown_type_code_fails_even_for_skipped_records(string type)
    {
        byte[] bytes = [.. Ascii($"1\nw {type} () "), .. F32(1), (byte)'\n'];
        foreach (var options in new[] { WeightLoadOptions.Default, new WeightLoadOptions { Include = _ => false } })
        {
            var e = Fails(bytes, options);
            Assert.That(e.Message, Does.Contain("Unknown type code"));
            Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", 4L)));
        }
    }

    [Test]
    public void Included_record_of_unsupported_dtype_fails_naming_it()
    {
        byte[] head = Ascii("1\nstep 8 () ");
        byte[] bytes = [.. head, .. BitConverter.GetBytes(85340L), (byte)'\n'];
        var e = Fails(bytes);
        Assert.That(e.Message, Does.Contain("unsupported dtype Int64 (code 8)"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "step", (long)head.Length)));
    }

    [Test]
    public void Skipped_records_of_other_dtypes_are_skipped_and_logged()
    {
        byte[] bytes = File(2,
            V2Record("step", 8, "()", BitConverter.GetBytes(85340L)),
            V2Record("w", 0, "(1,)", F32(3)));
        var logger = new ListLogger();

        var set = Read(bytes, new WeightLoadOptions { Include = n => n == "w" }, logger);

        Assert.That(set.Select(t => t.Name), Is.EqualTo(new[] { "w" }));
        Assert.That(set.SkippedRecords, Is.EqualTo(new[] { "step" }));
        Assert.That(logger.Entries, Has.Exactly(1).Matches<(LogLevel Level, EventId Id, string Message)>(
            e => e.Level == LogLevel.Debug && e.Id.Id == 1004 && e.Message.Contains("'step' (8 bytes)", StringComparison.Ordinal)));
    }

    [Test]
    public void Skipped_large_record_is_not_allocated()
    {
        // A 4 MB record inside the file: skipping it must not allocate anything near its size.
        byte[] blob = new byte[1000 * 1000 * 4];
        byte[] bytes = File(2, V2Record("big", 0, "(1000, 1000)", blob), V2Record("w", 0, "()", F32(1)));
        var stream = new MemoryStream(bytes);
        var options = new WeightLoadOptions { Include = n => n == "w" };

        long before = GC.GetAllocatedBytesForCurrentThread();
        var set = WeightFileV2Reader.Read(stream, "test.wts", options, NullLogger.Instance);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(set.SkippedRecords, Is.EqualTo(new[] { "big" }));
        Assert.That(allocated, Is.LessThan(512 * 1024), "skipping a 4 MB record allocated too much");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Record_claiming_more_than_the_file_holds_fails_before_allocation(bool included)
    {
        byte[] head = Ascii("1\nhuge 0 (1000000000, 1000) ");
        var options = new WeightLoadOptions { Include = _ => included };
        var e = Fails([.. head, .. F32(1, 2), (byte)'\n'], options);
        Assert.That(e.Message, Does.Contain("needs 4000000000000 bytes"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "huge", (long)head.Length)));
    }

    [Test]
    public void Record_claiming_huge_size_on_a_non_seekable_stream_fails_without_allocating_it()
    {
        var stream = new NonSeekableStream(new MemoryStream([.. Ascii("1\nhuge 0 (100000000, 20) "), .. F32(1, 2), (byte)'\n']));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<WeightFormatException>(() => WeightFileV2Reader.Read(stream, "pipe", WeightLoadOptions.Default, NullLogger.Instance))!;
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(16L << 20));
        Assert.That(e.Message, Does.Contain("truncated"));
    }

    [Test]
    public void Non_finite_weights_fail_by_default_naming_the_first_bad_element()
    {
        byte[] head = Ascii("1\nw 0 (4,) ");
        var e = Fails([.. head, .. F32(1, 2, float.NaN, float.PositiveInfinity), (byte)'\n']);
        Assert.That(e.Message, Does.Contain("2 non-finite values").And.Contain("element 2"));
        Assert.That((e.RecordIndex, e.TensorName, e.ByteOffset), Is.EqualTo((0, "w", (long)head.Length + 8)));
    }

    [Test]
    public void Non_finite_weights_are_kept_with_a_warning_when_asked()
    {
        var logger = new ListLogger();
        var set = Read(File(1, V2Record("w", 0, "(2,)", F32(1, float.NegativeInfinity))),
            new WeightLoadOptions { NonFiniteWeights = NonFiniteWeightPolicy.Warn }, logger);
        Assert.That(set["w"].Values[1], Is.EqualTo(float.NegativeInfinity));
        Assert.That(logger.Entries, Has.Exactly(1).Matches<(LogLevel Level, EventId Id, string Message)>(e => e.Level == LogLevel.Warning && e.Id.Id == 1003));
    }

    [Test]
    public void Reads_a_non_seekable_stream()
    {
        float tricky = BitConverter.UInt32BitsToSingle(0x200a200a);
        byte[] bytes = File(2, V2Record("skip", 0, "(300,)", F32(new float[300])), V2Record("w", 0, "(2,)", F32(tricky, 5)));
        var set = WeightFileV2Reader.Read(new NonSeekableStream(new MemoryStream(bytes)), "pipe",
            new WeightLoadOptions { Include = n => n == "w" }, NullLogger.Instance);
        Assert.That(set["w"].Values.ToArray(), Is.EqualTo(new[] { tricky, 5f }));
        Assert.That(set.SkippedRecords, Is.EqualTo(new[] { "skip" }));
    }
}
