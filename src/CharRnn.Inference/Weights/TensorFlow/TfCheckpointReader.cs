using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;
using CharRnn.Inference.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

namespace CharRnn.Inference.Weights.TensorFlow;

/// <summary>
/// Reads TensorFlow checkpoints (V2 tensor bundles): <c>prefix.index</c>, a LevelDB-format table whose empty key
/// holds the BundleHeaderProto and whose other keys are variable names mapped to BundleEntryProtos, plus the data
/// shards <c>prefix.data-{shard:D5}-of-{num_shards:D5}</c> holding the raw tensor bytes
/// (tensorflow/core/util/tensor_bundle). Names are reported in .wts spelling ('/' -> '_', as dumpTFWts.py writes
/// them, FACTS.md section 1) so models load the same from either source.
/// </summary>
internal static class TfCheckpointReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True when <paramref name="path"/> names a checkpoint: a prefix with a sibling <c>.index</c>, or the <c>.index</c> itself.</summary>
    public static bool TryResolvePrefix(string path, [NotNullWhen(true)] out string? prefix)
    {
        if (path.EndsWith(".index", StringComparison.Ordinal) && File.Exists(path))
        {
            prefix = path[..^".index".Length];
            return true;
        }
        if (!File.Exists(path) && File.Exists(path + ".index"))
        {
            prefix = path;
            return true;
        }
        prefix = null;
        return false;
    }

    /// <summary>Path of a data shard, named as TensorFlow's DataFilename does.</summary>
    public static string DataFilePath(string prefix, long shard, int numShards) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{prefix}.data-{shard:D5}-of-{numShards:D5}");

    /// <summary>
    /// Reads the tensors <see cref="WeightLoadOptions.Include"/> accepts (by .wts name); the others are listed as
    /// skipped without their data being touched.
    /// </summary>
    public static WeightSet Read(string prefix, WeightLoadOptions options, ILogger logger)
    {
        string indexPath = prefix + ".index";
        var entries = SsTableReader.ReadAll(indexPath);
        if (entries.Count == 0 || entries[0].Key.Length != 0)
        {
            throw new WeightFormatException(
                "The checkpoint index has no bundle header (the entry with the empty key): it is not a TensorFlow V2 checkpoint index.",
                indexPath, null, null, null);
        }
        TfBundleHeader header;
        try
        {
            header = TfBundleHeader.Parse(entries[0].Value);
        }
        catch (InvalidDataException e)
        {
            throw new WeightFormatException($"Malformed bundle header: {e.Message}.", indexPath, null, null, entries[0].BlockOffset);
        }

        var tensors = new List<WeightTensor>();
        var skipped = new List<string>();
        using var shards = new ShardFiles(prefix, header.NumShards);
        int record = -1;
        for (int i = 1; i < entries.Count; i++)
        {
            // Keys of a partitioned variable's slices start with a 0 byte (OrderedCode's encoding of the number 0,
            // EncodeTensorNameSlice); the variable itself has its own entry, refused or skipped below.
            if (entries[i].Key[0] == 0)
            {
                continue;
            }
            record++;
            var (tfName, entry) = Decode(entries[i], record, indexPath);
            string name = TfVariableNames.ToWtsName(tfName);
            if (options.Include is not null && !options.Include(name))
            {
                skipped.Add(name);
                Log.RecordSkipped(logger, record, name, entry.Size);
                continue;
            }
            var tensor = ReadTensor(entry, name, tfName, record, header, shards, indexPath);
            CheckFinite(tensor, options.NonFiniteWeights, shards.PathOf(entry.ShardId), record, entry.Offset, logger);
            tensors.Add(tensor);
        }
        return new WeightSet(tensors, skipped, WeightFileFormat.TensorFlowCheckpoint, prefix);
    }

    private static (string Name, TfBundleEntry Entry) Decode(SsTableEntry raw, int record, string indexPath)
    {
        string name;
        try
        {
            name = StrictUtf8.GetString(raw.Key);
        }
        catch (DecoderFallbackException)
        {
            throw new WeightFormatException(
                $"A tensor name in the checkpoint index is not valid UTF-8 ({Convert.ToHexString(raw.Key)}): the index is corrupt.",
                indexPath, record, null, raw.BlockOffset);
        }
        try
        {
            return (name, TfBundleEntry.Parse(raw.Value));
        }
        catch (InvalidDataException e)
        {
            throw new WeightFormatException($"Malformed BundleEntryProto: {e.Message}.", indexPath, record, name, raw.BlockOffset);
        }
    }

    private static WeightTensor ReadTensor(TfBundleEntry entry, string name, string tfName, int record, TfBundleHeader header, ShardFiles shards, string indexPath)
    {
        WeightFormatException Bad(string message) => new(message, indexPath, record, name, null);

        if (entry.IsPartitioned)
        {
            throw Bad($"'{MessageText.Printable(tfName)}' is a partitioned variable (saved in slices), which this reader does not support. Re-save the checkpoint without partitioning, or exclude the tensor.");
        }
        (TensorDataType type, int elementSize) = (TfDataType)entry.DataType switch
        {
            TfDataType.Float => (TensorDataType.Float32, 4),
            TfDataType.Half => (TensorDataType.Float16, 2),
            _ => throw Bad($"'{MessageText.Printable(tfName)}' has the unsupported dtype {entry.DataTypeName}; only DT_FLOAT and DT_HALF tensors can be loaded. Exclude it with WeightLoadOptions.Include."),
        };
        if (entry.UnknownRank)
        {
            throw Bad($"'{MessageText.Printable(tfName)}' is stored with an unknown rank; a saved variable must have a full shape.");
        }

        var shape = new int[entry.Shape.Count];
        long count = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            long dim = entry.Shape[d];
            if (dim < 0 || dim > Array.MaxLength)
            {
                throw Bad($"'{MessageText.Printable(tfName)}' has dimension {d} of size {dim}; sizes must be between 0 and {Array.MaxLength}.");
            }
            shape[d] = (int)dim;
            count = dim == 0 || count <= Array.MaxLength / dim ? count * dim : long.MaxValue;
        }
        string shapeText = WeightTensor.FormatShape(shape);
        if (count > Array.MaxLength)
        {
            throw Bad($"'{MessageText.Printable(tfName)}' has shape {shapeText}, more elements than one array can hold.");
        }
        long expectedBytes = count * elementSize;
        if (entry.Size != expectedBytes)
        {
            throw Bad($"'{MessageText.Printable(tfName)}' is {entry.DataTypeName} {shapeText}, which is {expectedBytes} bytes, but its index entry says {entry.Size} bytes: the index is corrupt.");
        }
        if (expectedBytes > int.MaxValue)
        {
            throw Bad($"'{MessageText.Printable(tfName)}' is {expectedBytes} bytes; tensors over 2 GiB are not supported.");
        }
        if (entry.ShardId < 0 || entry.ShardId >= header.NumShards)
        {
            throw Bad($"'{MessageText.Printable(tfName)}' is in data shard {entry.ShardId}, but the bundle header declares {header.NumShards} shard(s): the index is corrupt.");
        }

        var (file, length, dataPath) = shards.Open(entry.ShardId, name, record);
        if (entry.Offset < 0 || entry.Offset > length || entry.Size > length - entry.Offset)
        {
            throw new WeightFormatException(
                $"'{MessageText.Printable(tfName)}' lies at bytes [{entry.Offset}, {entry.Offset + entry.Size}) but the data file is {length} bytes long: the data file is truncated or does not belong to this index.",
                dataPath, record, name, entry.Offset);
        }

        // The bytes are read straight into the result for float32; float16 is widened from a staging buffer.
        bool swap = header.BigEndian == BitConverter.IsLittleEndian;
        var values = new float[count];
        Span<byte> bytes = type == TensorDataType.Float32 ? MemoryMarshal.AsBytes(values.AsSpan()) : new byte[expectedBytes];
        SsTableReader.ReadExactly(file, bytes, entry.Offset, dataPath);

        // TensorFlow checks the CRC-32C of the bytes as stored (before any byte swap) against the unmasked entry.crc32c.
        uint stored = Crc32C.Unmask(entry.MaskedCrc32C);
        uint actual = Crc32C.Compute(bytes);
        if (stored != actual)
        {
            throw new WeightFormatException(
                $"Checksum mismatch for '{MessageText.Printable(tfName)}' ({expectedBytes} bytes at byte offset {entry.Offset}): stored CRC-32C 0x{stored:x8}, computed 0x{actual:x8}. The data file is corrupt; restore it from the original checkpoint.",
                dataPath, record, name, entry.Offset);
        }

        if (type == TensorDataType.Float32)
        {
            if (swap)
            {
                var words = MemoryMarshal.Cast<float, uint>(values.AsSpan());
                BinaryPrimitives.ReverseEndianness(words, words);
            }
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                var element = bytes.Slice(2 * i, 2);
                values[i] = (float)(header.BigEndian ? BinaryPrimitives.ReadHalfBigEndian(element) : BinaryPrimitives.ReadHalfLittleEndian(element));
            }
        }
        return new WeightTensor(name, shape, values, type);
    }

    private static void CheckFinite(WeightTensor tensor, NonFiniteWeightPolicy policy, string dataPath, int record, long offset, ILogger logger)
    {
        var values = tensor.Values;
        int first = -1, bad = 0;
        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                if (first < 0) first = i;
                bad++;
            }
        }
        if (bad == 0)
        {
            return;
        }
        if (policy == NonFiniteWeightPolicy.Throw)
        {
            throw new WeightFormatException(
                $"Tensor holds {bad} non-finite value(s), the first ({values[first]}) at element {first}; such a model generates garbage. Retrain or re-export it, or load it anyway with the Warn policy for non-finite weights.",
                dataPath, record, tensor.Name, offset)
            { NonFiniteValues = bad };
        }
        Log.NonFiniteWeights(logger, tensor.Name, bad, first);
    }

    /// <summary>The data shards, opened on first use (a reader that skips a shard's tensors never needs the file).</summary>
    private sealed class ShardFiles(string prefix, int numShards) : IDisposable
    {
        private readonly Dictionary<long, (SafeFileHandle File, long Length, string Path)> _open = [];

        public string PathOf(long shard) => DataFilePath(prefix, shard, numShards);

        public (SafeFileHandle File, long Length, string Path) Open(long shard, string tensorName, int record)
        {
            if (_open.TryGetValue(shard, out var opened))
            {
                return opened;
            }
            string path = PathOf(shard);
            SafeFileHandle file;
            try
            {
                file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                throw new WeightFormatException(
                    $"The checkpoint's data file '{Path.GetFileName(path)}' is missing. A checkpoint is '{Path.GetFileName(prefix)}.index' plus {numShards} data file(s) named '{Path.GetFileName(prefix)}.data-NNNNN-of-{numShards:D5}'; keep them together.",
                    path, record, tensorName, null);
            }
            var result = (file, RandomAccess.GetLength(file), path);
            _open.Add(shard, result);
            return result;
        }

        public void Dispose()
        {
            foreach (var (file, _, _) in _open.Values)
            {
                file.Dispose();
            }
        }
    }
}
