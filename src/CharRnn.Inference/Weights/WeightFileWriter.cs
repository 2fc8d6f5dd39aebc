using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace CharRnn.Inference.Weights;

/// <summary>
/// Writes TensorRT <c>.wts</c> files as dumpTFWts.py does (FACTS.md section 1): the record count and a newline, then
/// the records sorted by name (ordinal). V2: <c>name type shape </c>, the raw little-endian bytes, a newline; unlike
/// dumpTFWts.py the type field is the tensor's real type, so float16 tensors stay float16. V1: <c>name 0 count </c>
/// then each value's float32 bit pattern as unpadded lowercase hex followed by a space, then a newline. Reading back
/// with <see cref="WeightLoader"/> gives the same names, shapes (V1: flattened to <c>[count]</c>), types (V2) and
/// bit-identical values. Thread-safe: it keeps no state.
/// </summary>
public static class WeightFileWriter
{
    /// <summary>Writes <paramref name="tensors"/> to a new file at <paramref name="path"/>, replacing it only once fully written.</summary>
    /// <exception cref="ArgumentException">A name is empty, holds whitespace or repeats; or a value does not fit the forced type.</exception>
    public static void Write(string path, IEnumerable<WeightTensor> tensors, WeightFileFormat format, WeightWriteOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string temp = path + ".partial";
        try
        {
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Write(stream, tensors, format, options);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            // Present only when writing failed; a half-written weight file must not be left behind.
            File.Delete(temp);
        }
    }

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="stream"/> in <paramref name="format"/> (<see cref="WeightFileFormat.WtsV2"/> or <see cref="WeightFileFormat.WtsV1"/>).</summary>
    /// <exception cref="ArgumentException">A name is empty, holds whitespace or repeats; or a value does not fit the forced type.</exception>
    public static void Write(Stream stream, IEnumerable<WeightTensor> tensors, WeightFileFormat format, WeightWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        options ??= WeightWriteOptions.Default;
        if (format is not (WeightFileFormat.WtsV2 or WeightFileFormat.WtsV1))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Only .wts V2 and V1 can be written.");
        }
        if (options.ForceType is { } forced && (forced is not (TensorDataType.Float32 or TensorDataType.Float16)
            || (format == WeightFileFormat.WtsV1 && forced != TensorDataType.Float32)))
        {
            throw new ArgumentOutOfRangeException(nameof(options), forced,
                "ForceType must be Float32 or Float16, and V1 files hold only float32 bit patterns.");
        }

        // dumpTFWts.py writes records sorted by name; ordinal order makes the output independent of culture.
        var sorted = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            string name = sorted[i].Name;
            if (name.Any(char.IsWhiteSpace))
            {
                throw new ArgumentException($"Tensor name '{name}' holds whitespace, which the .wts format uses as a separator.", nameof(tensors));
            }
            if (i > 0 && sorted[i - 1].Name == name)
            {
                throw new ArgumentException($"Tensor name '{name}' appears twice.", nameof(tensors));
            }
        }

        WriteAscii(stream, sorted.Count.ToString(CultureInfo.InvariantCulture) + "\n");
        foreach (var tensor in sorted)
        {
            if (format == WeightFileFormat.WtsV2)
            {
                WriteV2Record(stream, tensor, options.ForceType ?? tensor.StoredType);
            }
            else
            {
                WriteV1Record(stream, tensor);
            }
        }
        stream.Flush();
    }

    private static void WriteV2Record(Stream stream, WeightTensor tensor, TensorDataType type)
    {
        WriteUtf8(stream, $"{tensor.Name} {(int)type} {tensor.ShapeText} ");
        int size = type == TensorDataType.Float16 ? 2 : 4;
        var values = tensor.Values;
        Span<byte> chunk = stackalloc byte[4096];
        for (int done = 0; done < values.Length;)
        {
            int n = Math.Min(values.Length - done, chunk.Length / size);
            for (int i = 0; i < n; i++)
            {
                float v = values[done + i];
                if (type == TensorDataType.Float16)
                {
                    var h = (Half)v;
                    if (Half.IsInfinity(h) && float.IsFinite(v))
                    {
                        throw new ArgumentException(
                            $"Tensor '{tensor.Name}' element {done + i} ({v}) is beyond float16's range; write it as float32.", nameof(type));
                    }
                    BinaryPrimitives.WriteHalfLittleEndian(chunk[(i * 2)..], h);
                }
                else
                {
                    BinaryPrimitives.WriteSingleLittleEndian(chunk[(i * 4)..], v);
                }
            }
            stream.Write(chunk[..(n * size)]);
            done += n;
        }
        stream.WriteByte((byte)'\n');
    }

    private static void WriteV1Record(Stream stream, WeightTensor tensor)
    {
        var line = new StringBuilder(tensor.Name.Length + 16 + (tensor.ElementCount * 9));
        line.Append(tensor.Name).Append(" 0 ").Append(tensor.ElementCount.ToString(CultureInfo.InvariantCulture)).Append(' ');
        foreach (float v in tensor.Values)
        {
            line.Append(BitConverter.SingleToUInt32Bits(v).ToString("x", CultureInfo.InvariantCulture)).Append(' ');
        }
        line.Append('\n');
        WriteUtf8(stream, line.ToString());
    }

    private static void WriteAscii(Stream stream, string text) => stream.Write(Encoding.ASCII.GetBytes(text));

    private static void WriteUtf8(Stream stream, string text) => stream.Write(Encoding.UTF8.GetBytes(text));
}
