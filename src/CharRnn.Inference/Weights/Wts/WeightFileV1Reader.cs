using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Weights.Wts;

/// <summary>
/// Reads TensorRT <c>.wts</c> V1 (text) files: the decimal record count and a newline, then one line per record,
/// <c>name type count h h h ... </c>, each value the float32 bit pattern as unpadded hex (FACTS.md section 1).
/// </summary>
/// <remarks>
/// <para>
/// The type field is read but has no meaning: dumpTFWts.py writes float32 bit patterns whatever it says. V1 has no
/// shape, so each tensor gets shape <c>[count]</c>. Hex digits may be upper or lower case, 1 to 8 of them. Values are
/// separated by one or more spaces; a trailing space before the newline and Windows line ends are accepted, as
/// TensorRT's stream-based reader accepts them. A value count that disagrees with the number of values on the line
/// is an error either way (too few or too many).
/// </para>
/// <para>
/// Skipped records (rejected by <see cref="WeightLoadOptions.Include"/>) are still checked but their values are not
/// stored. The buffer of an included record is sized only after its count was checked against the bytes left
/// (every value takes at least two bytes), or grown as values arrive on a stream of unknown length. Non-finite
/// values follow <see cref="WeightLoadOptions.NonFiniteWeights"/> (an error by default). Anything after the last
/// record is an error.
/// </para>
/// </remarks>
internal static class WeightFileV1Reader
{
    // The shortest possible record is 6 bytes: "a 0 0\n".
    private const int MinRecordBytes = 6;
    private const int UnknownLengthInitialElements = 1 << 16;

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
            long recordStart = reader.Offset;
            string name = WtsSyntax.ReadUniqueName(reader, source, index, count, seen);
            WtsSyntax.ReadDecimal(reader, source, index, name, "type");
            long countStart = reader.Offset;
            long valueCount = ReadValueCount(reader, source, index, name);
            bool include = options.Include?.Invoke(name) ?? true;

            if (reader.Remaining is long remaining && valueCount > remaining / 2)
            {
                throw new WeightFormatException(
                    $"The record declares {valueCount} values but only {remaining} bytes are left, too few for that many " +
                    "(each value takes at least 2 bytes): the file is truncated or the count is wrong.",
                    source, index, name, countStart);
            }
            if (include && valueCount > Array.MaxLength)
            {
                throw new WeightFormatException(
                    $"The record declares {valueCount} values, more than one array can hold ({Array.MaxLength}).", source, index, name, countStart);
            }

            float[]? values = include
                ? new float[reader.Remaining is null ? Math.Min(valueCount, UnknownLengthInitialElements) : valueCount]
                : null;
            long firstNonFiniteOffset = ReadValues(reader, valueCount, ref values, source, index, name, isLast: index == count - 1);

            if (values is null)
            {
                skipped.Add(name);
                Log.RecordSkipped(logger, index, name, reader.Offset - recordStart);
            }
            else
            {
                // CheckFinite asks only for the first non-finite element's offset, which ReadValues noted.
                WtsSyntax.CheckFinite(values, options, logger, source, index, name, _ => firstNonFiniteOffset);
                tensors.Add(new WeightTensor(name, [values.Length], values));
            }
        }
        WtsSyntax.ExpectEnd(reader, source, count);
        return new WeightSet(tensors, skipped, WeightFileFormat.WtsV1, source);
    }

    /// <summary>Reads the decimal value count, which ends with a space or, for an empty tensor, the line end.</summary>
    private static long ReadValueCount(WtsByteReader reader, string source, int index, string name)
    {
        long start = reader.Offset;
        long value = 0;
        int digits = 0;
        while (reader.Peek() is >= '0' and <= '9')
        {
            if (++digits > 18)
            {
                throw new WeightFormatException("The value count has more than 18 digits.", source, index, name, start);
            }
            value = (value * 10) + (reader.Read() - '0');
        }
        int next = reader.Peek();
        if (digits == 0 || next is not (' ' or '\n' or '\r'))
        {
            throw new WeightFormatException(
                $"Expected the decimal value count, found {WtsSyntax.DescribeByte(next)}.", source, index, name, reader.Offset);
        }
        return value;
    }

    /// <summary>
    /// Reads <paramref name="count"/> hex values and the line end, storing them in <paramref name="values"/> when it is
    /// not null (growing it if needed). Returns the byte offset of the first non-finite value, or -1.
    /// </summary>
    private static long ReadValues(WtsByteReader reader, long count, ref float[]? values, string source, int index, string name, bool isLast)
    {
        long firstNonFinite = -1;
        for (long i = 0; i < count; i++)
        {
            SkipBlanks(reader);
            long at = reader.Offset;
            int b = reader.Peek();
            if (b is '\n' or '\r' or < 0)
            {
                throw new WeightFormatException(
                    $"Too few values: the record declares {count} but the line ends after {i}.", source, index, name, at);
            }
            uint bits = ReadHex(reader, source, index, name, i);
            if (values is not null)
            {
                if (i >= values.Length)
                {
                    Array.Resize(ref values, (int)Math.Min(count, (long)values.Length * 2));
                }
                float v = BitConverter.UInt32BitsToSingle(bits);
                values[i] = v;
                if (firstNonFinite < 0 && !float.IsFinite(v))
                {
                    firstNonFinite = at;
                }
            }
        }
        SkipBlanks(reader);
        long end = reader.Offset;
        int last = reader.Read();
        if (last == '\r' && reader.Peek() == '\n')
        {
            last = reader.Read();
        }
        if (last == '\n' || (last < 0 && isLast))
        {
            return firstNonFinite;
        }
        throw new WeightFormatException(
            Uri.IsHexDigit((char)Math.Max(last, 0))
                ? $"Too many values: the record declares {count} but the line holds more."
                : $"Expected the end of the line after {count} values, found {WtsSyntax.DescribeByte(last)}.",
            source, index, name, end);
    }

    private static void SkipBlanks(WtsByteReader reader)
    {
        while (reader.Peek() is ' ' or '\t')
        {
            reader.Read();
        }
    }

    /// <summary>Reads 1 to 8 hex digits, either case, ending at a blank or the line end.</summary>
    private static uint ReadHex(WtsByteReader reader, string source, int index, string name, long valueIndex)
    {
        long start = reader.Offset;
        uint bits = 0;
        int digits = 0;
        while (true)
        {
            int b = reader.Peek();
            if (b is ' ' or '\t' or '\n' or '\r' or < 0)
            {
                return bits;
            }
            int digit = b switch
            {
                >= '0' and <= '9' => b - '0',
                >= 'a' and <= 'f' => b - 'a' + 10,
                >= 'A' and <= 'F' => b - 'A' + 10,
                _ => -1,
            };
            if (digit < 0 || ++digits > 8)
            {
                throw new WeightFormatException(
                    digit < 0
                        ? $"Value {valueIndex} is not hex: found {WtsSyntax.DescribeByte(b)}. V1 values are float32 bit patterns in hex, such as '3f800000'."
                        : $"Value {valueIndex} has more than 8 hex digits; a float32 bit pattern has at most 8.",
                    source, index, name, digit < 0 ? reader.Offset : start);
            }
            reader.Read();
            bits = (bits << 4) | (uint)digit;
        }
    }
}
