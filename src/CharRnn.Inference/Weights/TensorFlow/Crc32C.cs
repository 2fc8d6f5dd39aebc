using System.Buffers.Binary;
using System.Numerics;

namespace CharRnn.Inference.Weights.TensorFlow;

/// <summary>
/// CRC-32C (Castagnoli), as LevelDB tables and TensorFlow tensor bundles store it. System.IO.Hashing only gains
/// CRC-32C in version 11 (<c>Crc32ParameterSet.Crc32C</c>); <see cref="BitOperations.Crc32C(uint, ulong)"/> is the
/// same polynomial with hardware acceleration where the CPU has it (SSE4.2, ARMv8 CRC) and a table fallback elsewhere.
/// </summary>
internal static class Crc32C
{
    // LevelDB's and TensorFlow's crc32c::Mask: a CRC stored next to the bytes it covers is rotated and offset so that
    // a CRC of data that itself contains CRCs stays well distributed.
    private const uint MaskDelta = 0xa282ead8u;

    /// <summary>The standard CRC-32C of <paramref name="data"/> (initial value and final xor 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(0xFFFFFFFFu, data);

    /// <summary>The standard CRC-32C of the concatenation of <paramref name="first"/> and <paramref name="second"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second) => ~Append(Append(0xFFFFFFFFu, first), second);

    /// <summary>Undoes <see cref="Mask"/>: the value a masked stored CRC stands for.</summary>
    public static uint Unmask(uint masked)
    {
        uint rot = masked - MaskDelta;
        return (rot >> 17) | (rot << 15);
    }

    /// <summary>The masked form LevelDB block trailers and BundleEntryProto.crc32c hold.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    private static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }
        return state;
    }
}
