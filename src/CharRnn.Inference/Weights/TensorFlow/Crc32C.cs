using System.IO.Hashing;

namespace CharRnn.Inference.Weights.TensorFlow;

/// <summary>
/// CRC-32C (Castagnoli), as LevelDB tables and TensorFlow tensor bundles store it: System.IO.Hashing's
/// <see cref="Crc32ParameterSet.Crc32C"/> (vectorized where the CPU allows), plus LevelDB's masking, which is ours.
/// </summary>
internal static class Crc32C
{
    // LevelDB's and TensorFlow's crc32c::Mask: a CRC stored next to the bytes it covers is rotated and offset so that
    // a CRC of data that itself contains CRCs stays well distributed.
    private const uint MaskDelta = 0xa282ead8u;

    /// <summary>The standard CRC-32C of <paramref name="data"/> (initial value and final xor 0xFFFFFFFF).</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Crc32.HashToUInt32(Crc32ParameterSet.Crc32C, data);

    /// <summary>The standard CRC-32C of the concatenation of <paramref name="first"/> and <paramref name="second"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var crc = new Crc32(Crc32ParameterSet.Crc32C);
        crc.Append(first);
        crc.Append(second);
        return crc.GetCurrentHashAsUInt32();
    }

    /// <summary>Undoes <see cref="Mask"/>: the value a masked stored CRC stands for.</summary>
    public static uint Unmask(uint masked)
    {
        uint rot = masked - MaskDelta;
        return (rot >> 17) | (rot << 15);
    }

    /// <summary>The masked form LevelDB block trailers and BundleEntryProto.crc32c hold.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;
}
