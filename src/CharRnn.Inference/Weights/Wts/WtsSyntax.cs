using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Weights.Wts;

/// <summary>
/// The pieces V1 and V2 share: the record-count header, space-terminated tokens, record names, and the
/// non-finite check. Every failure is a <see cref="WeightFormatException"/> that names the record and offset.
/// </summary>
internal static class WtsSyntax
{
    /// <summary>Longest record name accepted; real names are under 100 bytes, the limit only stops runaway reads.</summary>
    public const int MaxNameBytes = 4096;

    private const int MaxCountDigits = 10;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads the decimal record count and its newline; <c>minRecordBytes</c>, the fewest bytes one record can take,
    /// refuses counts the rest of the file cannot hold.
    /// </summary>
    public static int ReadCountHeader(WtsByteReader reader, string source, int minRecordBytes)
    {
        long start = reader.Offset;
        long count = 0;
        int digits = 0;
        int b;
        while ((b = reader.Read()) is >= '0' and <= '9')
        {
            if (++digits > MaxCountDigits)
            {
                throw new WeightFormatException(
                    "The record count has more than 10 digits; a .wts file starts with the number of records (such as '27') and a newline.",
                    source, null, null, start);
            }
            count = (count * 10) + (b - '0');
        }
        if (b == '\r' && reader.Peek() == '\n')
        {
            b = reader.Read();
        }
        if (digits == 0 || b != '\n')
        {
            throw new WeightFormatException(
                $"Missing record count: a .wts file starts with the decimal number of records and a newline, but found {DescribeByte(b)} at the start. " +
                "Is this a .wts file written by dumpTFWts.py?",
                source, null, null, reader.Offset - (b < 0 ? 0 : 1));
        }
        if (count > int.MaxValue)
        {
            throw new WeightFormatException($"The record count {count} is absurd (more than {int.MaxValue}).", source, null, null, start);
        }
        long? remaining = reader.Remaining;
        if (remaining is not null && count > remaining.Value / minRecordBytes)
        {
            throw new WeightFormatException(
                $"The header promises {count} records but only {remaining.Value} bytes follow, too few for that many records: the file is truncated or the header is wrong.",
                source, null, null, start);
        }
        return (int)count;
    }

    /// <summary>Reads a record's name and refuses one already in <paramref name="seen"/> (both formats forbid duplicates).</summary>
    public static string ReadUniqueName(WtsByteReader reader, string source, int recordIndex, int recordCount, HashSet<string> seen)
    {
        long recordStart = reader.Offset;
        string name = ReadName(reader, source, recordIndex, recordCount);
        if (!seen.Add(name))
        {
            throw new WeightFormatException(
                $"Duplicate tensor name '{MessageText.Printable(name)}': an earlier record has the same name.", source, recordIndex, name, recordStart);
        }
        return name;
    }

    /// <summary>Reads a record's name up to the space after it. Detects a file that ends early (fewer records than the count).</summary>
    public static string ReadName(WtsByteReader reader, string source, int recordIndex, int recordCount)
    {
        long start = reader.Offset;
        if (reader.Peek() < 0)
        {
            throw new WeightFormatException(
                $"The file ends after {recordIndex} of the {recordCount} records its header promises: it is truncated " +
                "(dumpTFWts.py run under Python 3 leaves such files; see NVIDIA/TensorRT#1069).",
                source, recordIndex, null, start);
        }
        var bytes = ReadToken(reader, MaxNameBytes, source, recordIndex, null, "name");
        if (bytes.Length == 0)
        {
            throw new WeightFormatException("Empty tensor name: a record starts with a space.", source, recordIndex, null, start);
        }
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new WeightFormatException($"The tensor name is not valid UTF-8 ({e.Message}).", source, recordIndex, null, start);
        }
    }

    /// <summary>Reads a non-negative decimal integer token up to the space after it.</summary>
    public static long ReadDecimal(WtsByteReader reader, string source, int recordIndex, string name, string what)
    {
        long start = reader.Offset;
        var bytes = ReadToken(reader, 19, source, recordIndex, name, what);
        if (bytes.Length == 0 || !long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            throw new WeightFormatException(
                $"The {what} field '{Printable(bytes)}' is not a non-negative decimal integer.", source, recordIndex, name, start);
        }
        return value;
    }

    /// <summary>Reads bytes up to (and consuming) the next space; a newline or the end of the file first is an error.</summary>
    public static byte[] ReadToken(WtsByteReader reader, int maxBytes, string source, int recordIndex, string? name, string what)
    {
        long start = reader.Offset;
        var bytes = new List<byte>(32);
        while (true)
        {
            int b = reader.Read();
            if (b == ' ')
            {
                return [.. bytes];
            }
            if (b is '\n' or < 0)
            {
                throw new WeightFormatException(
                    $"The record header ended early: expected the {what} followed by a space, found {DescribeByte(b)} after '{Printable([.. bytes])}'.",
                    source, recordIndex, name, reader.Offset - (b < 0 ? 0 : 1));
            }
            if (bytes.Count == maxBytes)
            {
                throw new WeightFormatException(
                    $"The {what} field is longer than {maxBytes} bytes without a space: this is not a record header.",
                    source, recordIndex, name, start);
            }
            bytes.Add((byte)b);
        }
    }

    /// <summary>Refuses the end of the data being followed by anything.</summary>
    public static void ExpectEnd(WtsByteReader reader, string source, int recordCount)
    {
        if (reader.Peek() >= 0)
        {
            long? left = reader.Remaining;
            throw new WeightFormatException(
                $"Unexpected data after the last of the {recordCount} records the header promises" +
                (left is null ? "" : $" ({left} bytes)") + ": the record count is wrong or the file was appended to.",
                source, recordCount, null, reader.Offset);
        }
    }

    /// <summary>
    /// Applies <see cref="WeightLoadOptions.NonFiniteWeights"/> to a loaded tensor; <c>elementOffset</c> maps the first
    /// bad element's index to its byte offset in the file, for the error.
    /// </summary>
    public static void CheckFinite(float[] values, WeightLoadOptions options, ILogger logger, string source, int recordIndex, string name,
        Func<int, long> elementOffset)
    {
        int first = -1;
        int count = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                if (first < 0)
                {
                    first = i;
                }
                count++;
            }
        }
        if (count == 0)
        {
            return;
        }
        if (options.NonFiniteWeights == NonFiniteWeightPolicy.Throw)
        {
            throw new WeightFormatException(
                $"Tensor '{MessageText.Printable(name)}' holds {count} non-finite values (NaN or infinity); the first is element {first} ({values[first]}). " +
                "Such a model generates garbage; retrain or re-export it, or load it anyway with the Warn policy for non-finite weights.",
                source, recordIndex, name, elementOffset(first))
            { NonFiniteValues = count };
        }
        Log.NonFiniteWeights(logger, name, count, first);
    }

    /// <summary>Says what a byte is, for messages: <c>byte 0x41 ('A')</c>, <c>a newline</c>, <c>the end of the file</c>.</summary>
    public static string DescribeByte(int b) => b switch
    {
        < 0 => "the end of the file",
        '\n' => "a newline",
        ' ' => "a space",
        >= 0x21 and < 0x7f => $"byte 0x{b:x2} ('{(char)b}')",
        _ => $"byte 0x{b:x2}",
    };

    /// <summary>Bytes as text for messages, non-printable ones escaped, cut at 64 characters.</summary>
    public static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(Math.Min(bytes.Length, 64));
        foreach (byte b in bytes[..Math.Min(bytes.Length, 64)])
        {
            sb.Append(b is >= 0x20 and < 0x7f ? (char)b : $"\\x{b:x2}");
        }
        if (bytes.Length > 64)
        {
            sb.Append("...");
        }
        return sb.ToString();
    }
}
