namespace CharRnn.Inference.Weights.TensorFlow;

/// <summary>
/// A decoded BundleHeaderProto, the value of the index's empty key: num_shards = 1 (int32), endianness = 2
/// (0 little, 1 big; it applies to the tensor bytes only), version = 3 (VersionDef, not needed to read floats).
/// </summary>
internal sealed record TfBundleHeader(int NumShards, bool BigEndian)
{
    /// <summary>Decodes the proto; malformed bytes throw <see cref="InvalidDataException"/>.</summary>
    public static TfBundleHeader Parse(ReadOnlySpan<byte> bytes)
    {
        long numShards = 0;
        bool bigEndian = false;
        var reader = new WireReader(bytes);
        while (reader.TryReadTag(out int field, out int wire))
        {
            if (field == 1)
            {
                WireReader.Expect(field, wire, WireReader.Varint);
                numShards = (long)reader.ReadVarint();
            }
            else if (field == 2)
            {
                WireReader.Expect(field, wire, WireReader.Varint);
                bigEndian = reader.ReadVarint() != 0;
            }
            else
            {
                reader.SkipField(wire);
            }
        }
        return numShards is < 1 or > int.MaxValue
            ? throw new InvalidDataException($"num_shards is {numShards}; a bundle has at least one data file")
            : new TfBundleHeader((int)numShards, bigEndian);
    }
}
