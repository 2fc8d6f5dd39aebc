using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace CharRnn.Inference.Weights.TensorFlow;

/// <summary>
/// Reads every key/value pair of an immutable sorted table in the LevelDB table format, which TensorFlow's
/// tensor-bundle <c>.index</c> file uses (tensorflow/core/lib/io/table*, a port of LevelDB's table).
/// Layout: data blocks, a metaindex block, an index block (last key of each data block -> its block handle),
/// then a 48-byte footer. Every block is followed by a 5-byte trailer: compression type (0 none, 1 Snappy) and the
/// masked CRC-32C of the block bytes plus that type byte. Every block and handle is checked against the file
/// before anything is allocated, so a corrupt index gives a <see cref="WeightFormatException"/>, never garbage.
/// </summary>
internal static class SsTableReader
{
    /// <summary>Size of the footer: two block handles padded to 40 bytes, then the 8-byte magic.</summary>
    public const int FooterSize = 48;

    /// <summary>Size of the trailer after every block: a compression type byte and a masked CRC-32C.</summary>
    public const int BlockTrailerSize = 5;

    /// <summary>The table magic number, stored little-endian in the footer's last 8 bytes (same as LevelDB's).</summary>
    public const ulong TableMagic = 0xdb4775248b80fb57UL;

    // Snappy's densest element (a 3-byte copy of 64 bytes) expands about 21x: a block claiming more than this is corrupt.
    private const int MaxSnappyExpansion = 24;

    /// <summary>Reads all entries of the table at <paramref name="path"/>, in key order.</summary>
    public static List<SsTableEntry> ReadAll(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = RandomAccess.GetLength(file);
        if (length < FooterSize)
        {
            throw new WeightFormatException(
                $"The checkpoint index is {length} bytes long, shorter than the {FooterSize}-byte table footer: the file is truncated or not a TensorFlow checkpoint index.",
                path, null, null, length);
        }

        Span<byte> footer = stackalloc byte[FooterSize];
        ReadExactly(file, footer, length - FooterSize, path);
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(footer[40..]);
        if (magic != TableMagic)
        {
            throw new WeightFormatException(
                $"The checkpoint index does not end with the table magic number 0x{TableMagic:x16} (found 0x{magic:x16}): the file is truncated, corrupt or not a TensorFlow (V2) checkpoint index.",
                path, null, null, length - 8);
        }

        BlockHandle indexHandle;
        try
        {
            var reader = new WireReader(footer[..40]);
            _ = ReadHandle(ref reader); // The metaindex block: TensorFlow writes no meta blocks a reader needs.
            indexHandle = ReadHandle(ref reader);
        }
        catch (InvalidDataException e)
        {
            throw new WeightFormatException($"Malformed table footer: {e.Message}.", path, null, null, length - FooterSize);
        }

        long dataEnd = length - FooterSize;
        var indexBlock = ReadBlock(file, indexHandle, dataEnd, "index block", path);
        var entries = new List<SsTableEntry>();
        foreach (var indexEntry in ParseBlock(indexBlock, indexHandle.Offset, "index block", path))
        {
            BlockHandle dataHandle;
            try
            {
                var reader = new WireReader(indexEntry.Value);
                dataHandle = ReadHandle(ref reader);
            }
            catch (InvalidDataException e)
            {
                throw new WeightFormatException($"Malformed block handle in the index block: {e.Message}.", path, null, null, indexHandle.Offset);
            }
            var dataBlock = ReadBlock(file, dataHandle, dataEnd, "data block", path);
            entries.AddRange(ParseBlock(dataBlock, dataHandle.Offset, "data block", path));
        }
        return entries;
    }

    private static BlockHandle ReadHandle(ref WireReader reader)
    {
        ulong offset = reader.ReadVarint();
        ulong size = reader.ReadVarint();
        return offset > long.MaxValue || size > int.MaxValue
            ? throw new InvalidDataException($"block handle (offset {offset}, size {size}) is out of range")
            : new BlockHandle((long)offset, (int)size);
    }

    /// <summary>Reads, verifies and decompresses one block.</summary>
    private static byte[] ReadBlock(SafeFileHandle file, BlockHandle handle, long dataEnd, string what, string path)
    {
        if (handle.Offset > dataEnd || handle.Size > dataEnd - handle.Offset - BlockTrailerSize)
        {
            throw new WeightFormatException(
                $"The {what} at byte offset {handle.Offset} ({handle.Size} bytes plus a {BlockTrailerSize}-byte trailer) runs past the table data, which ends at byte {dataEnd}: the index file is truncated or corrupt.",
                path, null, null, handle.Offset);
        }
        byte[] raw = new byte[handle.Size + BlockTrailerSize];
        ReadExactly(file, raw, handle.Offset, path);

        byte type = raw[handle.Size];
        uint stored = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(handle.Size + 1)));
        uint actual = Crc32C.Compute(raw.AsSpan(0, handle.Size + 1));
        if (stored != actual)
        {
            throw new WeightFormatException(
                $"Checksum mismatch in the {what} at byte offset {handle.Offset} ({handle.Size} bytes): stored CRC-32C 0x{stored:x8}, computed 0x{actual:x8}. The index file is corrupt; restore it from the original checkpoint.",
                path, null, null, handle.Offset);
        }

        switch (type)
        {
            case 0:
                return raw[..handle.Size];
            case 1:
                return Decompress(raw.AsSpan(0, handle.Size), handle, what, path);
            default:
                throw new WeightFormatException(
                    $"The {what} at byte offset {handle.Offset} uses compression type {type}; only 0 (none) and 1 (Snappy) exist in TensorFlow's table format.",
                    path, null, null, handle.Offset + handle.Size);
        }
    }

    private static byte[] Decompress(ReadOnlySpan<byte> compressed, BlockHandle handle, string what, string path)
    {
        try
        {
            int length = Snappier.Snappy.GetUncompressedLength(compressed);
            if (length < 0 || (long)length > (long)compressed.Length * MaxSnappyExpansion + 64)
            {
                throw new InvalidDataException($"it claims {length} uncompressed bytes from {compressed.Length}");
            }
            byte[] output = new byte[length];
            int written = Snappier.Snappy.Decompress(compressed, output);
            return written == length
                ? output
                : throw new InvalidDataException($"it decompressed to {written} bytes instead of the {length} it declares");
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            throw new WeightFormatException(
                $"The Snappy-compressed {what} at byte offset {handle.Offset} cannot be decompressed: {e.Message}.", path, null, null, handle.Offset);
        }
    }

    /// <summary>
    /// Decodes a block's entries: each is varints (shared key bytes, non-shared key bytes, value length), the
    /// non-shared key suffix and the value; a uint32 restart array and its count end the block. Restart points
    /// only speed up seeks, so a full scan needs just the count to find where the entries end.
    /// </summary>
    private static List<SsTableEntry> ParseBlock(byte[] block, long blockOffset, string what, string path)
    {
        try
        {
            if (block.Length < 4)
            {
                throw new InvalidDataException($"it has {block.Length} bytes, fewer than its 4-byte restart count");
            }
            long restarts = BinaryPrimitives.ReadUInt32LittleEndian(block.AsSpan(block.Length - 4));
            long entriesEnd = block.Length - 4 - (4 * restarts);
            if (entriesEnd < 0)
            {
                throw new InvalidDataException($"its restart count {restarts} does not fit in its {block.Length} bytes");
            }

            var entries = new List<SsTableEntry>();
            var reader = new WireReader(block.AsSpan(0, (int)entriesEnd));
            byte[] lastKey = [];
            while (!reader.AtEnd)
            {
                int shared = reader.ReadLength();
                int nonShared = reader.ReadLength();
                int valueLength = reader.ReadLength();
                if (shared > lastKey.Length)
                {
                    throw new InvalidDataException(
                        $"an entry at byte {reader.Position} shares {shared} key bytes with a previous key of {lastKey.Length} bytes");
                }
                var suffix = reader.ReadBytes(nonShared);
                byte[] key = new byte[shared + nonShared];
                lastKey.AsSpan(0, shared).CopyTo(key);
                suffix.CopyTo(key.AsSpan(shared));
                byte[] value = reader.ReadBytes(valueLength).ToArray();
                entries.Add(new SsTableEntry(key, value, blockOffset));
                lastKey = key;
            }
            return entries;
        }
        catch (InvalidDataException e)
        {
            throw new WeightFormatException($"Malformed {what} at byte offset {blockOffset}: {e.Message}.", path, null, null, blockOffset);
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; a short file is a <see cref="WeightFormatException"/>.</summary>
    internal static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset, string path)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int read = RandomAccess.Read(file, buffer[total..], offset + total);
            if (read == 0)
            {
                throw new WeightFormatException(
                    $"The file ended after {offset + total} bytes while {buffer.Length} bytes were being read at byte offset {offset}: it was truncated while being read.",
                    path, null, null, offset + total);
            }
            total += read;
        }
    }

    private readonly record struct BlockHandle(long Offset, int Size);
}
