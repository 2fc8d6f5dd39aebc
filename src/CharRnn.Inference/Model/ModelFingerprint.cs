using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using CharRnn.Inference.Conversion;

namespace CharRnn.Inference.Model;

/// <summary>
/// Identifies a model as engines compute it: 128 bits of a SHA-256 over the converted weights (the forget bias folded
/// in), the dimensions and the vocabulary. Engines of the same model have the same fingerprint whatever their backend,
/// precision, process or host, so a <see cref="Generation.GeneratorSnapshot"/> restores on any of them; any other model
/// has another. Immutable.
/// </summary>
/// <remarks>
/// A compatibility check, not a security boundary: the snapshot format trusts whoever wrote the bytes it reads. Values
/// are hashed as little-endian IEEE 754 floats and 32-bit integers, so the fingerprint is the same on every machine.
/// </remarks>
public readonly record struct ModelFingerprint
{
    /// <summary>Bytes a fingerprint takes in the snapshot format.</summary>
    internal const int Size = 16;

    private readonly UInt128 _value;

    private ModelFingerprint(UInt128 value) => _value = value;

    /// <summary>The 32 hexadecimal digits of the fingerprint.</summary>
    public override string ToString() => _value.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    internal static ModelFingerprint Read(ReadOnlySpan<byte> bytes) => new(BinaryPrimitives.ReadUInt128BigEndian(bytes));

    internal void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt128BigEndian(destination, _value);

    /// <summary>The fingerprint of <paramref name="network"/> read through <paramref name="vocabulary"/>.</summary>
    internal static ModelFingerprint Of(NetworkWeights network, Vocabulary vocabulary)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("charrnn model fingerprint 1"u8);
        hash.AppendData(network.Digest);
        AppendInt(hash, vocabulary.Count);
        var character = new byte[2];
        foreach (char c in vocabulary.Characters)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(character, c);
            hash.AppendData(character);
        }
        return Read(hash.GetHashAndReset());
    }

    /// <summary>SHA-256 of the converted network: dimensions, then every tensor with its length (cached by <see cref="NetworkWeights"/>).</summary>
    internal static byte[] Digest(NetworkWeights network)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("charrnn network 1"u8);
        var d = network.Dimensions;
        AppendInt(hash, d.LayerCount);
        AppendInt(hash, d.HiddenSize);
        AppendInt(hash, d.InputSize);
        AppendInt(hash, d.VocabularySize);
        AppendInt(hash, d.HasEmbedding ? 1 : 0);
        foreach (var layer in network.Layers)
        {
            AppendFloats(hash, layer.InputWeights);
            AppendFloats(hash, layer.RecurrentWeights);
            AppendFloats(hash, layer.InputBias);
            AppendFloats(hash, layer.RecurrentBias);
        }
        AppendFloats(hash, network.Embedding);
        AppendFloats(hash, network.FcWeights);
        AppendFloats(hash, network.FcBias);
        return hash.GetHashAndReset();
    }

    private static void AppendInt(IncrementalHash hash, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        hash.AppendData(bytes);
    }

    private static void AppendFloats(IncrementalHash hash, ReadOnlySpan<float> values)
    {
        AppendInt(hash, values.Length);
        if (BitConverter.IsLittleEndian)
        {
            hash.AppendData(MemoryMarshal.AsBytes(values));
            return;
        }
        Span<byte> bytes = stackalloc byte[4];
        foreach (float v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes, v);
            hash.AppendData(bytes);
        }
    }
}
