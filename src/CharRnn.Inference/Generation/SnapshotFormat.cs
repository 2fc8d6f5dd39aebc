using System.Buffers.Binary;
using System.Runtime.InteropServices;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Weights.TensorFlow;

namespace CharRnn.Inference.Generation;

/// <summary>
/// The bytes of a <see cref="GeneratorSnapshot"/>, version 1 (docs/SNAPSHOT-FORMAT.md): a fixed little-endian header,
/// the state floats, and a CRC-32C of everything before it. Reading checks, in order, the magic, the version, the lengths
/// (against the bytes actually there), the checksum, then the fields' values, so that every damaged snapshot is refused
/// with a <see cref="SnapshotFormatException"/> saying what and where.
/// </summary>
internal static class SnapshotFormat
{
    public const ushort Version = 1;

    /// <summary>"CRNNSNAP" in ASCII.</summary>
    public static ReadOnlySpan<byte> Magic => "CRNNSNAP"u8;

    // Header fields: offset of each, in bytes from the snapshot's start.
    private const int VersionAt = 8;
    private const int FlagsAt = 10;
    private const int FingerprintAt = 12;
    private const int LayersAt = 28;
    private const int HiddenAt = 32;
    private const int InputAt = 36;
    private const int VocabularyAt = 40;
    private const int PositionAt = 44;
    private const int SeedAt = 52;
    private const int TemperatureAt = 60;
    private const int TopKAt = 64;
    private const int TopPAt = 68;
    private const int StateLengthAt = 72;
    public const int HeaderSize = 76;
    private const int ChecksumSize = 4;

    private const ushort HasLogitsFlag = 1;
    private const ushort HasEmbeddingFlag = 2;
    private const ushort KnownFlags = HasLogitsFlag | HasEmbeddingFlag;

    // Limits on the header's sizes: far above any char-rnn model (a character vocabulary has at most 65,536 UTF-16 code
    // units), low enough that a damaged length cannot ask for gigabytes.
    public const int MaxLayers = 1024;
    public const int MaxWidth = 1 << 20;
    public const int MaxStateFloats = 1 << 26;

    public static int Length(int stateFloats) => HeaderSize + 4 * stateFloats + ChecksumSize;

    public static byte[] Write(GeneratorSnapshot snapshot)
    {
        var state = snapshot.State;
        var bytes = new byte[Length(state.Length)];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        var d = snapshot.Dimensions;
        BinaryPrimitives.WriteUInt16LittleEndian(span[VersionAt..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[FlagsAt..],
            (ushort)((snapshot.IsPrimed ? HasLogitsFlag : 0) | (d.HasEmbedding ? HasEmbeddingFlag : 0)));
        snapshot.ModelFingerprint.Write(span[FingerprintAt..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[LayersAt..], d.LayerCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[HiddenAt..], d.HiddenSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[InputAt..], d.InputSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[VocabularyAt..], d.VocabularySize);
        BinaryPrimitives.WriteInt64LittleEndian(span[PositionAt..], snapshot.Position);
        BinaryPrimitives.WriteUInt64LittleEndian(span[SeedAt..], snapshot.Seed);
        BinaryPrimitives.WriteSingleLittleEndian(span[TemperatureAt..], snapshot.Sampling.Temperature);
        BinaryPrimitives.WriteInt32LittleEndian(span[TopKAt..], snapshot.Sampling.TopK);
        BinaryPrimitives.WriteSingleLittleEndian(span[TopPAt..], snapshot.Sampling.TopP);
        BinaryPrimitives.WriteInt32LittleEndian(span[StateLengthAt..], state.Length);
        var floats = span.Slice(HeaderSize, 4 * state.Length);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(state.AsSpan()).CopyTo(floats);
        }
        else
        {
            for (int i = 0; i < state.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(floats[(4 * i)..], state[i]);
            }
        }
        int body = HeaderSize + floats.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(span[body..], Crc32C.Compute(span[..body]));
        return bytes;
    }

    public static GeneratorSnapshot Read(Stream stream)
    {
        var header = new byte[HeaderSize];
        int got = stream.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false);
        // Checks the magic and the version first, so that a short file of another kind is named as such.
        int length = TotalLength(header.AsSpan(0, got));
        long available = stream.CanSeek ? stream.Length - stream.Position : long.MaxValue;
        if (available < length - HeaderSize)
        {
            throw Truncated(HeaderSize + available, length);
        }
        // Grows with what arrives, so that a stream that ends early costs no more than it sent.
        var bytes = new byte[Math.Min(length, HeaderSize + (1 << 20))];
        header.CopyTo(bytes, 0);
        int filled = HeaderSize;
        while (filled < length)
        {
            if (filled == bytes.Length)
            {
                Array.Resize(ref bytes, (int)Math.Min(length, 2L * bytes.Length));
            }
            int n = stream.Read(bytes, filled, bytes.Length - filled);
            if (n == 0)
            {
                throw Truncated(filled, length);
            }
            filled += n;
        }
        return Parse(bytes, exact: true);
    }

    public static GeneratorSnapshot Parse(ReadOnlySpan<byte> bytes, bool exact)
    {
        int length = TotalLength(bytes);
        if (bytes.Length < length)
        {
            throw Truncated(bytes.Length, length);
        }
        if (exact && bytes.Length > length)
        {
            throw new SnapshotFormatException(
                $"{bytes.Length - length} bytes follow the snapshot's end: the data holds more than one snapshot, or the snapshot's length field was damaged.", length);
        }
        int body = length - ChecksumSize;
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(bytes[body..]);
        uint computed = Crc32C.Compute(bytes[..body]);
        if (stored != computed)
        {
            throw new SnapshotFormatException(
                $"The snapshot is damaged: its CRC-32C is 0x{stored:x8} but its bytes give 0x{computed:x8}. It was changed after it was written; restore from an intact copy.", body);
        }

        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(bytes[FlagsAt..]);
        if ((flags & ~KnownFlags) != 0)
        {
            throw new SnapshotFormatException($"The snapshot sets flags 0x{flags:x4}, of which only 0x{KnownFlags:x4} are defined in version {Version}.", FlagsAt);
        }
        int layers = ReadSize(bytes, LayersAt, "layer count", MaxLayers);
        int hidden = ReadSize(bytes, HiddenAt, "hidden size", MaxWidth);
        int input = ReadSize(bytes, InputAt, "input size", MaxWidth);
        int vocabulary = ReadSize(bytes, VocabularyAt, "vocabulary size", MaxWidth);
        int stateFloats = BinaryPrimitives.ReadInt32LittleEndian(bytes[StateLengthAt..]);
        long expected = 2L * layers * hidden + vocabulary;
        if (stateFloats != expected)
        {
            throw new SnapshotFormatException(
                $"The snapshot holds {stateFloats} state floats but its dimensions ({layers} layers of {hidden}, vocabulary {vocabulary}) need {expected}.", StateLengthAt);
        }
        long position = BinaryPrimitives.ReadInt64LittleEndian(bytes[PositionAt..]);
        if (position < 0)
        {
            throw new SnapshotFormatException($"The snapshot's position is {position}; it must not be negative.", PositionAt);
        }
        var sampling = ReadSampling(bytes);

        var state = new float[stateFloats];
        var floats = bytes.Slice(HeaderSize, 4 * stateFloats);
        if (BitConverter.IsLittleEndian)
        {
            floats.CopyTo(MemoryMarshal.AsBytes(state.AsSpan()));
        }
        else
        {
            for (int i = 0; i < state.Length; i++)
            {
                state[i] = BinaryPrimitives.ReadSingleLittleEndian(floats[(4 * i)..]);
            }
        }
        var dimensions = new ModelDimensions(layers, hidden, input, vocabulary, (flags & HasEmbeddingFlag) != 0);
        return new GeneratorSnapshot(ModelFingerprint.Read(bytes[FingerprintAt..]), dimensions, state, (flags & HasLogitsFlag) != 0,
            position, sampling, BinaryPrimitives.ReadUInt64LittleEndian(bytes[SeedAt..]));
    }

    // The whole snapshot's length from its header, after checking the magic, the version and the length field's bounds.
    private static int TotalLength(ReadOnlySpan<byte> header)
    {
        if (header.Length < Magic.Length)
        {
            if (header.Length == 0 || Magic.StartsWith(header))
            {
                throw Truncated(header.Length, HeaderSize);
            }
            throw NotASnapshot();
        }
        if (!header.StartsWith(Magic))
        {
            throw NotASnapshot();
        }
        if (header.Length < VersionAt + 2)
        {
            throw Truncated(header.Length, HeaderSize);
        }
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header[VersionAt..]);
        if (version != Version)
        {
            throw new SnapshotFormatException(
                $"The snapshot is in format version {version}; this library reads version {Version}. " +
                (version > Version ? "Use the library version that wrote it, or a newer one." : "It was not written by this library."), VersionAt);
        }
        if (header.Length < HeaderSize)
        {
            throw Truncated(header.Length, HeaderSize);
        }
        int stateFloats = BinaryPrimitives.ReadInt32LittleEndian(header[StateLengthAt..]);
        if (stateFloats < 1 || stateFloats > MaxStateFloats)
        {
            throw new SnapshotFormatException($"The snapshot's state length is {stateFloats} floats; it must be 1 to {MaxStateFloats}.", StateLengthAt);
        }
        return Length(stateFloats);
    }

    private static int ReadSize(ReadOnlySpan<byte> bytes, int at, string name, int max)
    {
        int value = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
        return value >= 1 && value <= max
            ? value
            : throw new SnapshotFormatException($"The snapshot's {name} is {value}; it must be 1 to {max}.", at);
    }

    private static SamplingOptions ReadSampling(ReadOnlySpan<byte> bytes)
    {
        float temperature = BinaryPrimitives.ReadSingleLittleEndian(bytes[TemperatureAt..]);
        int topK = BinaryPrimitives.ReadInt32LittleEndian(bytes[TopKAt..]);
        float topP = BinaryPrimitives.ReadSingleLittleEndian(bytes[TopPAt..]);
        try
        {
            return temperature == 0f && topK == 0 && topP == 1f
                ? SamplingOptions.Greedy
                : new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new SnapshotFormatException($"The snapshot's sampling options are invalid: {e.Message}", TemperatureAt);
        }
    }

    private static SnapshotFormatException NotASnapshot() => new(
        $"These bytes are not a generator snapshot: they do not start with the magic \"CRNNSNAP\" (docs/SNAPSHOT-FORMAT.md).", 0);

    private static SnapshotFormatException Truncated(long have, long need) => new(
        $"The snapshot is truncated: {have} bytes of the {need} {(need == HeaderSize ? "its header takes" : "its header announces")}. Restore from a complete copy.", have);
}
