using System.Globalization;
using System.Text;

namespace CharRnn.Inference.Tests.Weights.TensorFlow;

/// <summary>
/// A deliberately small, independent parse of a float32 .wts V2 file (FACTS.md section 1: the decimal count and '\n',
/// then per record <c>name type shape </c>, the raw little-endian bytes and '\n'), used as the reference the
/// checkpoint reader is compared against. It shares no code with the library's readers.
/// </summary>
internal static class Wts2Records
{
    public sealed record Record(string Name, int[] Shape, byte[] Bytes)
    {
        public float[] Floats()
        {
            var values = new float[Bytes.Length / 4];
            Buffer.BlockCopy(Bytes, 0, values, 0, Bytes.Length);
            return values;
        }
    }

    public static List<Record> Read(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        int pos = 0;
        int count = int.Parse(Field(data, ref pos, (byte)'\n'), CultureInfo.InvariantCulture);
        var records = new List<Record>(count);
        for (int r = 0; r < count; r++)
        {
            string name = Field(data, ref pos, (byte)' ');
            Assert.That(Field(data, ref pos, (byte)' '), Is.EqualTo("0"), $"type field of {name}");
            // The shape tuple contains spaces ("(193, 512)"): read to its ')' and the space after it.
            string shapeText = Field(data, ref pos, (byte)')');
            Assert.That(data[pos], Is.EqualTo((byte)' '), $"space after the shape of {name}");
            pos++;
            int[] shape = [.. shapeText.TrimStart('(').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
            int bytes = 4 * shape.Aggregate(1, (a, b) => a * b);
            records.Add(new Record(name, shape, data[pos..(pos + bytes)]));
            pos += bytes;
            Assert.That(data[pos], Is.EqualTo((byte)'\n'), $"record {name} must end with a newline");
            pos++;
        }
        Assert.That(pos, Is.EqualTo(data.Length), "the .wts2 must end after its last record");
        return records;
    }

    private static string Field(byte[] data, ref int pos, byte terminator)
    {
        int end = Array.IndexOf(data, terminator, pos);
        string text = Encoding.ASCII.GetString(data, pos, end - pos);
        pos = end + 1;
        return text;
    }
}
