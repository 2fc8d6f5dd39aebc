using System.Buffers.Binary;

namespace CharRnn.Inference.Weights.TensorFlow;

/// <summary>
/// A forward cursor over bytes in protobuf wire format, also used for the LevelDB table fields (which share the
/// base-128 varint encoding). Every read is bounds-checked; malformed input throws <see cref="InvalidDataException"/>,
/// which callers turn into a <see cref="WeightFormatException"/> that says which file and record.
/// </summary>
internal ref struct WireReader
{
    /// <summary>Protobuf wire type 0: varint.</summary>
    public const int Varint = 0;
    /// <summary>Protobuf wire type 1: 8 bytes little-endian.</summary>
    public const int Fixed64 = 1;
    /// <summary>Protobuf wire type 2: varint length, then that many bytes.</summary>
    public const int LengthDelimited = 2;
    /// <summary>Protobuf wire type 5: 4 bytes little-endian.</summary>
    public const int Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _data;

    public WireReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        Position = 0;
    }

    /// <summary>Offset of the next byte to read.</summary>
    public int Position { get; private set; }

    /// <summary>Whether every byte has been read.</summary>
    public readonly bool AtEnd => Position >= _data.Length;

    /// <summary>Reads a base-128 varint of at most 64 bits (10 bytes).</summary>
    public ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (Position >= _data.Length)
            {
                throw new InvalidDataException($"a varint runs past the end of its {_data.Length}-byte buffer");
            }
            byte b = _data[Position++];
            if (shift == 63 && b > 1)
            {
                throw new InvalidDataException($"a varint overflows 64 bits at byte {Position - 1}");
            }
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
        throw new InvalidDataException($"a varint is longer than 10 bytes at byte {Position - 1}");
    }

    /// <summary>Reads a varint that must fit in a non-negative <see cref="int"/> (a length or a count).</summary>
    public int ReadLength()
    {
        int start = Position;
        ulong value = ReadVarint();
        return value <= int.MaxValue
            ? (int)value
            : throw new InvalidDataException($"a length of {value} at byte {start} is impossibly large");
    }

    /// <summary>Reads the next <paramref name="count"/> bytes.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        if (count < 0 || count > _data.Length - Position)
        {
            throw new InvalidDataException(
                $"{count} bytes are expected at byte {Position} but only {_data.Length - Position} remain");
        }
        var bytes = _data.Slice(Position, count);
        Position += count;
        return bytes;
    }

    /// <summary>Reads 4 little-endian bytes.</summary>
    public uint ReadFixed32() => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));

    /// <summary>Reads 8 little-endian bytes.</summary>
    public ulong ReadFixed64() => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8));

    /// <summary>Reads a field key; false at the end of the message.</summary>
    public bool TryReadTag(out int field, out int wireType)
    {
        if (AtEnd)
        {
            field = 0;
            wireType = 0;
            return false;
        }
        int start = Position;
        ulong key = ReadVarint();
        ulong number = key >> 3;
        if (number == 0 || number > 536_870_911)
        {
            throw new InvalidDataException($"invalid protobuf field number {number} at byte {start}");
        }
        field = (int)number;
        wireType = (int)(key & 7);
        return true;
    }

    /// <summary>Reads a length-delimited field's bytes.</summary>
    public ReadOnlySpan<byte> ReadLengthDelimited() => ReadBytes(ReadLength());

    /// <summary>Skips a field of an unknown number, as protobuf readers must.</summary>
    public void SkipField(int wireType)
    {
        switch (wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: ReadBytes(8); break;
            case LengthDelimited: ReadLengthDelimited(); break;
            case Fixed32: ReadBytes(4); break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {wireType} before byte {Position}");
        }
    }

    /// <summary>Throws unless a known field arrived with the wire type its declaration implies.</summary>
    public static void Expect(int field, int wireType, int expected)
    {
        if (wireType != expected)
        {
            throw new InvalidDataException($"protobuf field {field} has wire type {wireType}; expected {expected}");
        }
    }
}
