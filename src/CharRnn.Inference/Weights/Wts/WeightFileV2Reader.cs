using System.Buffers.Binary;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Weights.Wts;

/// <summary>
/// Reads TensorRT <c>.wts</c> V2 (binary) files: the decimal record count and a newline, then per record
/// <c>name type shape </c>, the raw little-endian C-order bytes, and exactly one newline (FACTS.md section 1).
/// </summary>
/// <remarks>
/// <para>
/// Parsing is byte-exact and streamed, never by lines (a blob may hold newline and space bytes). The blob size is
/// element count x the size of the type field's TensorRT DataType, and the byte after the blob must be the newline;
/// nothing is guessed. dumpTFWts.py writes type 0 whatever the real dtype, so a record whose real element size is not
/// 4 fails at that newline check with a message saying so. (The checkpoints sampleCharRNN uses store every variable,
/// <c>global_step</c> included, as 4-byte float32 in the exported file, so they parse strictly.)
/// </para>
/// <para>
/// Records rejected by <see cref="WeightLoadOptions.Include"/> are skipped (seeked over, or read and discarded on a
/// non-seekable stream) without their values being stored, whatever their dtype; their type code must still be known
/// so that their size is. Their size is checked against the bytes left when the stream knows its length, so a record
/// claiming more than the file holds is an error, not a long read. Included records must be float32 or float16
/// (widened exactly); their buffer is allocated only after the size was checked against the bytes left, or, on a
/// stream of unknown length, grown as bytes actually arrive.
/// </para>
/// <para>
/// Non-finite values follow <see cref="WeightLoadOptions.NonFiniteWeights"/>: by default they are an error naming the
/// tensor, the first bad element and its byte offset; <see cref="NonFiniteWeightPolicy.Warn"/> keeps them and logs a
/// warning. Anything after the last record is an error: it means the count is wrong or the file was appended to.
/// </para>
/// </remarks>
internal static class WeightFileV2Reader
{
    // The shortest possible record is 9 bytes: "a 2 () x\n".
    private const int MinRecordBytes = 9;
    private const int MaxShapeBytes = 512;
    private const int MaxTypeDigits = 9;
    // The growth step for buffers of streams of unknown length, so an untrusted size never sizes an allocation.
    private const int UnknownLengthInitialElements = 1 << 20;

    public static WeightSet Read(Stream stream, string source, WeightLoadOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);

        var reader = new WtsByteReader(stream);
        int count = WtsSyntax.ReadCountHeader(reader, source, MinRecordBytes);
        var tensors = new List<WeightTensor>();
        var skipped = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        for (int index = 0; index < count; index++)
        {
            string name = WtsSyntax.ReadUniqueName(reader, source, index, count, seen);
            var type = ReadType(reader, source, index, name);
            int[] shape = ReadShape(reader, source, index, name);
            long elements = ElementCount(shape, source, index, name, reader.Offset);
            int elementSize = type.ElementSize()!.Value;
            if (elements > long.MaxValue / elementSize)
            {
                throw new WeightFormatException(
                    $"Shape {WeightTensor.FormatShape(shape)} of {type} is too large to address in bytes.", source, index, name, reader.Offset);
            }
            long byteCount = elements * elementSize;
            long blobStart = reader.Offset;
            bool include = options.Include?.Invoke(name) ?? true;

            if (include && type is not (TensorDataType.Float32 or TensorDataType.Float16))
            {
                throw new WeightFormatException(
                    $"Tensor '{MessageText.Printable(name)}' has unsupported dtype {type} (code {(int)type}): only float32 (0) and float16 (1) can be loaded. " +
                    "Exclude the record with WeightLoadOptions.Include, or re-export the weights as float32.",
                    source, index, name, blobStart);
            }
            if (reader.Remaining is long remaining && byteCount > remaining)
            {
                throw Truncated(source, index, name, shape, type, byteCount, remaining, blobStart);
            }

            if (include)
            {
                float[] values = ReadValues(reader, elements, type, source, index, name, shape, blobStart);
                ExpectNewline(reader, source, index, name, type, byteCount);
                WtsSyntax.CheckFinite(values, options, logger, source, index, name, i => blobStart + ((long)i * elementSize));
                tensors.Add(new WeightTensor(name, shape, values, type));
            }
            else
            {
                long got = reader.Skip(byteCount);
                if (got != byteCount)
                {
                    throw Truncated(source, index, name, shape, type, byteCount, got, blobStart);
                }
                ExpectNewline(reader, source, index, name, type, byteCount);
                skipped.Add(name);
                Log.RecordSkipped(logger, index, name, byteCount);
            }
        }
        WtsSyntax.ExpectEnd(reader, source, count);
        return new WeightSet(tensors, skipped, WeightFileFormat.WtsV2, source);
    }

    private static TensorDataType ReadType(WtsByteReader reader, string source, int index, string name)
    {
        long start = reader.Offset;
        byte[] token = WtsSyntax.ReadToken(reader, MaxTypeDigits, source, index, name, "type");
        if (token.Length == 0 || !int.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int code)
            || ((TensorDataType)code).ElementSize() is null)
        {
            throw new WeightFormatException(
                $"Unknown type code '{WtsSyntax.Printable(token)}': the type field must be a TensorRT DataType number " +
                "(0 float32, 1 float16, 2 int8, 3 int32, 4 bool, 5 uint8, 6 fp8, 7 bf16, 8 int64).",
                source, index, name, start);
        }
        return (TensorDataType)code;
    }

    /// <summary>Parses Python's tuple text: <c>()</c>, <c>(2048,)</c>, <c>(1024, 2048)</c>; Python 2's long suffix (<c>2048L</c>) is accepted.</summary>
    private static int[] ReadShape(WtsByteReader reader, string source, int index, string name)
    {
        long start = reader.Offset;
        var text = new List<byte>(16);
        int b = reader.Read();
        if (b != '(')
        {
            throw new WeightFormatException(
                $"Expected the shape tuple such as '(1024, 2048)' after the type, found {WtsSyntax.DescribeByte(b)}.", source, index, name, start);
        }
        while ((b = reader.Read()) != ')')
        {
            if (b < 0 || b == '\n' || text.Count == MaxShapeBytes)
            {
                throw new WeightFormatException(
                    $"Shape '({WtsSyntax.Printable([.. text])}' has no closing ')' before {WtsSyntax.DescribeByte(b)}.", source, index, name, start);
            }
            text.Add((byte)b);
        }
        b = reader.Read();
        if (b != ' ')
        {
            throw new WeightFormatException(
                $"Expected a space after the shape, found {WtsSyntax.DescribeByte(b)}.", source, index, name, reader.Offset - (b < 0 ? 0 : 1));
        }

        string inner = System.Text.Encoding.ASCII.GetString([.. text]);
        if (inner.Trim().Length == 0)
        {
            return [];
        }
        string[] parts = inner.Split(',');
        // A single-element tuple ends with a comma ("(2048,)"); an empty part anywhere else is malformed.
        int partCount = parts[^1].Trim().Length == 0 ? parts.Length - 1 : parts.Length;
        var dims = new int[partCount];
        for (int i = 0; i < partCount; i++)
        {
            string part = parts[i].Trim();
            if (part.EndsWith('L'))
            {
                part = part[..^1];
            }
            if (part.Length == 0 || !part.All(char.IsAsciiDigit)
                || !int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out dims[i]))
            {
                throw new WeightFormatException(
                    $"Shape '({WtsSyntax.Printable([.. text])})' is not a tuple of non-negative integers below 2^31 (bad dimension '{parts[i].Trim()}').",
                    source, index, name, start);
            }
        }
        return dims;
    }

    private static long ElementCount(int[] shape, string source, int index, string name, long offset)
    {
        long elements = 1;
        foreach (int d in shape)
        {
            if (d != 0 && elements > long.MaxValue / d)
            {
                throw new WeightFormatException(
                    $"Shape {WeightTensor.FormatShape(shape)} has more elements than a 64-bit count holds.", source, index, name, offset);
            }
            elements *= d;
        }
        return elements;
    }

    private static float[] ReadValues(WtsByteReader reader, long elements, TensorDataType type, string source, int index, string name,
        int[] shape, long blobStart)
    {
        if (elements > Array.MaxLength)
        {
            throw new WeightFormatException(
                $"Tensor '{MessageText.Printable(name)}' has {elements} elements, more than one array can hold ({Array.MaxLength}).", source, index, name, blobStart);
        }
        int total = (int)elements;
        int elementSize = type == TensorDataType.Float16 ? 2 : 4;
        // With a known length the size was checked against the bytes left; otherwise grow as the bytes arrive.
        var values = new float[reader.Remaining is null ? Math.Min(total, UnknownLengthInitialElements) : total];
        Span<byte> chunk = stackalloc byte[4096];
        int done = 0;
        while (done < total)
        {
            int want = Math.Min(total - done, chunk.Length / elementSize);
            int got = reader.ReadAtMost(chunk[..(want * elementSize)]);
            if (got != want * elementSize)
            {
                throw Truncated(source, index, name, shape, type, elements * elementSize, ((long)done * elementSize) + got, blobStart);
            }
            if (done + want > values.Length)
            {
                Array.Resize(ref values, (int)Math.Min(total, (long)values.Length * 2));
            }
            for (int i = 0; i < want; i++)
            {
                values[done + i] = type == TensorDataType.Float16
                    ? (float)BinaryPrimitives.ReadHalfLittleEndian(chunk[(i * 2)..])
                    : BinaryPrimitives.ReadSingleLittleEndian(chunk[(i * 4)..]);
            }
            done += want;
        }
        return values;
    }

    private static void ExpectNewline(WtsByteReader reader, string source, int index, string name, TensorDataType type, long byteCount)
    {
        long at = reader.Offset;
        int b = reader.Read();
        if (b != '\n')
        {
            throw new WeightFormatException(
                $"Expected a newline after the {byteCount}-byte {type} blob, found {WtsSyntax.DescribeByte(b)}. The shape or type does not " +
                "match the data; note that dumpTFWts.py writes type 0 (float32) whatever the real dtype, so an int64/float64 or " +
                "float16 variable has a different size than its type field claims.",
                source, index, name, at);
        }
    }

    private static WeightFormatException Truncated(string source, int index, string name, int[] shape, TensorDataType type,
        long needed, long available, long blobStart) => new(
            $"Tensor data truncated: shape {WeightTensor.FormatShape(shape)} of {type} needs {needed} bytes but only {available} are left. " +
            "The file is truncated (dumpTFWts.py under Python 3 leaves such files: NVIDIA/TensorRT#1069) or the shape is wrong.",
            source, index, name, blobStart);
}
