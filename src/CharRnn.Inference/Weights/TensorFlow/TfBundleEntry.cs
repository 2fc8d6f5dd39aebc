namespace CharRnn.Inference.Weights.TensorFlow;

/// <summary>
/// A decoded BundleEntryProto (tensorflow/core/protobuf/tensor_bundle.proto): where one tensor's bytes lie in the
/// data shards and what they are. Fields: dtype = 1 (enum), shape = 2 (TensorShapeProto), shard_id = 3, offset = 4,
/// size = 5, crc32c = 6 (fixed32, masked like LevelDB's), slices = 7 (present only for partitioned variables).
/// </summary>
internal sealed record TfBundleEntry(int DataType, IReadOnlyList<long> Shape, bool UnknownRank, long ShardId, long Offset, long Size, uint MaskedCrc32C, bool IsPartitioned)
{
    /// <summary>The dtype as TensorFlow spells it (<c>DT_FLOAT</c>), or its number when unknown.</summary>
    public string DataTypeName => Enum.IsDefined((TfDataType)DataType)
        ? "DT_" + ((TfDataType)DataType).ToString().ToUpperInvariant()
        : $"dtype {DataType}";

    /// <summary>Decodes the proto; malformed bytes throw <see cref="InvalidDataException"/>.</summary>
    public static TfBundleEntry Parse(ReadOnlySpan<byte> bytes)
    {
        int dataType = 0;
        long shardId = 0, offset = 0, size = 0;
        uint crc = 0;
        bool partitioned = false, unknownRank = false;
        var shape = new List<long>();
        var reader = new WireReader(bytes);
        while (reader.TryReadTag(out int field, out int wire))
        {
            switch (field)
            {
                case 1:
                    WireReader.Expect(field, wire, WireReader.Varint);
                    ulong code = reader.ReadVarint();
                    dataType = code <= int.MaxValue ? (int)code : -1;
                    break;
                case 2:
                    WireReader.Expect(field, wire, WireReader.LengthDelimited);
                    unknownRank = ParseShape(reader.ReadLengthDelimited(), shape);
                    break;
                case 3:
                    WireReader.Expect(field, wire, WireReader.Varint);
                    shardId = (long)reader.ReadVarint();
                    break;
                case 4:
                    WireReader.Expect(field, wire, WireReader.Varint);
                    offset = (long)reader.ReadVarint();
                    break;
                case 5:
                    WireReader.Expect(field, wire, WireReader.Varint);
                    size = (long)reader.ReadVarint();
                    break;
                case 6:
                    WireReader.Expect(field, wire, WireReader.Fixed32);
                    crc = reader.ReadFixed32();
                    break;
                case 7:
                    WireReader.Expect(field, wire, WireReader.LengthDelimited);
                    reader.ReadLengthDelimited();
                    partitioned = true;
                    break;
                default:
                    reader.SkipField(wire);
                    break;
            }
        }
        return new TfBundleEntry(dataType, shape, unknownRank, shardId, offset, size, crc, partitioned);
    }

    /// <summary>TensorShapeProto: repeated Dim dim = 2 (Dim.size = 1, int64), bool unknown_rank = 3.</summary>
    private static bool ParseShape(ReadOnlySpan<byte> bytes, List<long> dims)
    {
        bool unknownRank = false;
        var reader = new WireReader(bytes);
        while (reader.TryReadTag(out int field, out int wire))
        {
            if (field == 2)
            {
                WireReader.Expect(field, wire, WireReader.LengthDelimited);
                dims.Add(ParseDim(reader.ReadLengthDelimited()));
            }
            else if (field == 3)
            {
                WireReader.Expect(field, wire, WireReader.Varint);
                unknownRank = reader.ReadVarint() != 0;
            }
            else
            {
                reader.SkipField(wire);
            }
        }
        return unknownRank;
    }

    private static long ParseDim(ReadOnlySpan<byte> bytes)
    {
        long size = 0;
        var reader = new WireReader(bytes);
        while (reader.TryReadTag(out int field, out int wire))
        {
            if (field == 1)
            {
                WireReader.Expect(field, wire, WireReader.Varint);
                // int64 in two's complement: -1 (an unknown dimension) arrives as a 10-byte varint.
                size = (long)reader.ReadVarint();
            }
            else
            {
                reader.SkipField(wire);
            }
        }
        return size;
    }
}
