using System.Buffers.Binary;
using System.Text;

namespace CharRnn.Inference.Tests.Weights;

/// <summary>Builds .wts bytes by hand, independently of WeightFileWriter, for reader tests.</summary>
internal static class WtsBytes
{
    public static byte[] Ascii(string text) => Encoding.UTF8.GetBytes(text);

    public static byte[] F32(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        return bytes;
    }

    /// <summary>A V2 record: <c>name type shape </c>, the blob, a newline.</summary>
    public static byte[] V2Record(string name, int type, string shape, byte[] blob) => [.. Ascii($"{name} {type} {shape} "), .. blob, (byte)'\n'];

    /// <summary>A file: the count header then the records.</summary>
    public static byte[] File(int count, params byte[][] records) => [.. Ascii($"{count}\n"), .. records.SelectMany(r => r)];
}
