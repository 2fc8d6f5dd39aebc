using System.Buffers.Binary;
using System.Text;
using CharRnn.Inference.Weights.TensorFlow;

namespace CharRnn.Inference.Tests.Weights.TensorFlow;

/// <summary>
/// Writes small synthetic tensor bundles for tests: an index in the LevelDB table layout (prefix-compressed entries,
/// restart arrays, block trailers with masked CRC-32C, optional Snappy, footer with magic) and data shards. Written
/// from the format description, independently of the reader; knobs let tests produce shapes the real fixture lacks.
/// </summary>
internal sealed class TensorBundleWriter
{
    public const int DtFloat = 1;
    public const int DtInt64 = 9;
    public const int DtHalf = 19;

    private readonly List<Tensor> _tensors = [];

    public int NumShards { get; set; } = 1;
    public bool BigEndian { get; set; }
    public bool WriteHeader { get; set; } = true;
    public bool Snappy { get; set; }
    public byte? CompressionTypeOverride { get; set; }
    public int EntriesPerBlock { get; set; } = 1000;
    /// <summary>Stored bytes of every data block, in place of the real (compressed) ones; the trailer CRC still matches.</summary>
    public byte[]? DataBlockOverride { get; set; }
    public int RestartInterval { get; set; } = 16;

    public sealed record Tensor(string Name, int DataType, long[] Shape, byte[] Bytes)
    {
        public int Shard { get; init; }
        public long? SizeOverride { get; init; }
        public bool Partitioned { get; init; }
        public byte[]? RawEntry { get; init; }
    }

    public TensorBundleWriter Add(Tensor tensor)
    {
        _tensors.Add(tensor);
        return this;
    }

    public TensorBundleWriter AddFloats(string name, long[] shape, float[] values, int shard = 0)
    {
        byte[] bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            if (BigEndian) BinaryPrimitives.WriteSingleBigEndian(bytes.AsSpan(4 * i), values[i]);
            else BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        }
        return Add(new Tensor(name, DtFloat, shape, bytes) { Shard = shard });
    }

    public TensorBundleWriter AddHalves(string name, long[] shape, Half[] values)
    {
        byte[] bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
        {
            if (BigEndian) BinaryPrimitives.WriteHalfBigEndian(bytes.AsSpan(2 * i), values[i]);
            else BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), values[i]);
        }
        return Add(new Tensor(name, DtHalf, shape, bytes));
    }

    /// <summary>Writes <c>prefix.index</c> and the data shards; tensors are stored in key order, as TensorFlow does.</summary>
    public void Write(string prefix)
    {
        var shards = Enumerable.Range(0, NumShards).Select(_ => new MemoryStream()).ToArray();
        var entries = new List<(byte[] Key, byte[] Value)>();
        if (WriteHeader)
        {
            var header = new List<byte>();
            Tag(header, 1, 0); Varint(header, (ulong)NumShards);
            if (BigEndian) { Tag(header, 2, 0); Varint(header, 1); }
            var version = new List<byte>();
            Tag(version, 1, 0); Varint(version, 1);
            Tag(header, 3, 2); Varint(header, (ulong)version.Count); header.AddRange(version);
            entries.Add(([], [.. header]));
        }
        foreach (var t in _tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var shard = shards[t.Shard];
            long offset = shard.Length;
            shard.Write(t.Bytes);
            entries.Add((Encoding.UTF8.GetBytes(t.Name), t.RawEntry ?? EncodeEntry(t, offset)));
        }
        for (int s = 0; s < NumShards; s++)
        {
            File.WriteAllBytes($"{prefix}.data-{s:D5}-of-{NumShards:D5}", shards[s].ToArray());
        }
        File.WriteAllBytes(prefix + ".index", BuildTable(entries));
    }

    private static byte[] EncodeEntry(Tensor t, long offset)
    {
        var e = new List<byte>();
        Tag(e, 1, 0); Varint(e, (ulong)t.DataType);
        var shape = new List<byte>();
        foreach (long d in t.Shape)
        {
            var dim = new List<byte>();
            Tag(dim, 1, 0); Varint(dim, unchecked((ulong)d));
            Tag(shape, 2, 2); Varint(shape, (ulong)dim.Count); shape.AddRange(dim);
        }
        Tag(e, 2, 2); Varint(e, (ulong)shape.Count); e.AddRange(shape);
        if (t.Shard != 0) { Tag(e, 3, 0); Varint(e, (ulong)t.Shard); }
        if (offset != 0) { Tag(e, 4, 0); Varint(e, (ulong)offset); }
        Tag(e, 5, 0); Varint(e, (ulong)(t.SizeOverride ?? t.Bytes.Length));
        Tag(e, 6, 5);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Mask(Crc32C.Compute(t.Bytes)));
        e.AddRange(crc.ToArray());
        if (t.Partitioned)
        {
            Tag(e, 7, 2); Varint(e, 0);
        }
        return [.. e];
    }

    private byte[] BuildTable(List<(byte[] Key, byte[] Value)> entries)
    {
        var file = new MemoryStream();
        var index = new List<(byte[] Key, byte[] Value)>();
        for (int start = 0; start < entries.Count; start += EntriesPerBlock)
        {
            var chunk = entries.Skip(start).Take(EntriesPerBlock).ToList();
            var handle = WriteBlock(file, BuildBlock(chunk), compress: Snappy, DataBlockOverride);
            index.Add((chunk[^1].Key, handle));
        }
        byte[] metaHandle = WriteBlock(file, BuildBlock([]), compress: false);
        byte[] indexHandle = WriteBlock(file, BuildBlock(index), compress: false);
        byte[] footer = new byte[48];
        metaHandle.CopyTo(footer, 0);
        indexHandle.CopyTo(footer, metaHandle.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(footer.AsSpan(40), 0xdb4775248b80fb57UL);
        file.Write(footer);
        return file.ToArray();
    }

    private byte[] BuildBlock(List<(byte[] Key, byte[] Value)> entries)
    {
        var block = new List<byte>();
        var restarts = new List<int> { 0 };
        byte[] last = [];
        for (int i = 0; i < entries.Count; i++)
        {
            var (key, value) = entries[i];
            int shared = 0;
            if (i % RestartInterval == 0)
            {
                if (i > 0) restarts.Add(block.Count);
            }
            else
            {
                while (shared < last.Length && shared < key.Length && last[shared] == key[shared]) shared++;
            }
            Varint(block, (ulong)shared);
            Varint(block, (ulong)(key.Length - shared));
            Varint(block, (ulong)value.Length);
            block.AddRange(key[shared..]);
            block.AddRange(value);
            last = key;
        }
        Span<byte> word = stackalloc byte[4];
        foreach (int r in restarts)
        {
            BinaryPrimitives.WriteInt32LittleEndian(word, r);
            block.AddRange(word.ToArray());
        }
        BinaryPrimitives.WriteInt32LittleEndian(word, restarts.Count);
        block.AddRange(word.ToArray());
        return [.. block];
    }

    /// <summary>Appends the block and its trailer; returns its handle (offset and size varints).</summary>
    private byte[] WriteBlock(MemoryStream file, byte[] contents, bool compress, byte[]? storedOverride = null)
    {
        byte type = 0;
        if (compress)
        {
            contents = Snappier.Snappy.CompressToArray(contents);
            type = 1;
        }
        contents = storedOverride ?? contents;
        type = CompressionTypeOverride ?? type;
        long offset = file.Length;
        file.Write(contents);
        byte[] trailer = new byte[5];
        trailer[0] = type;
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(1), Crc32C.Mask(Crc32C.Compute(contents, [type])));
        file.Write(trailer);
        var handle = new List<byte>();
        Varint(handle, (ulong)offset);
        Varint(handle, (ulong)contents.Length);
        return [.. handle];
    }

    private static void Tag(List<byte> buffer, int field, int wireType) => Varint(buffer, (ulong)((field << 3) | wireType));

    private static void Varint(List<byte> buffer, ulong value)
    {
        while (value >= 0x80)
        {
            buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }
        buffer.Add((byte)value);
    }
}
