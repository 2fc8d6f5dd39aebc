using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CharRnn.Inference.Weights;

/// <summary>
/// Reads weights from a TensorRT <c>.wts</c> file (V2 binary or V1 hex, told apart by the bytes) or a TensorFlow
/// checkpoint prefix.
/// </summary>
public static class WeightLoader
{
    // Enough for the count line and the first record header (names are well under 100 bytes).
    private const int DetectionBytes = 4096;

    /// <summary>
    /// Loads weights from <paramref name="path"/>: a <c>.wts</c> file, or a TensorFlow checkpoint given by its prefix
    /// (<c>dir/model-85340</c> for <c>model-85340.index</c>) or by its <c>.index</c> file.
    /// </summary>
    /// <exception cref="WeightFormatException">The file is malformed; the message says where.</exception>
    /// <exception cref="FileNotFoundException">Nothing exists at the path.</exception>
    public static WeightSet Load(string path, WeightLoadOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= WeightLoadOptions.Default;
        logger ??= NullLogger.Instance;

        if (TensorFlow.TfCheckpointReader.TryResolvePrefix(path, out string? prefix))
        {
            return TensorFlow.TfCheckpointReader.Read(prefix, options, logger);
        }
        if (Directory.Exists(path))
        {
            // Opening a directory reports "access denied", which sends the user looking at permissions.
            throw new FileNotFoundException(
                $"'{path}' is a directory, not a weight file. Pass a .wts file (V1 or V2) or a TensorFlow checkpoint prefix such as 'dir/model-85340'.", path);
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"No weight file at '{path}'. Pass a .wts file (V1 or V2) or a TensorFlow checkpoint prefix such as 'dir/model-85340'.", path);
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Load(stream, path, options, logger);
    }

    /// <summary>
    /// Loads a <c>.wts</c> file (V1 or V2, detected) from a stream, which need not be seekable. <paramref name="source"/>
    /// names it in errors. Byte offsets in errors are positions in the stream (file offsets for a file stream).
    /// </summary>
    /// <exception cref="WeightFormatException">The data is malformed; the message says where.</exception>
    public static WeightSet Load(Stream stream, string source, WeightLoadOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= WeightLoadOptions.Default;
        logger ??= NullLogger.Instance;
        // Detection looks at the first bytes; a non-seekable stream gets them replayed in front of the rest.
        byte[] head = new byte[DetectionBytes];
        long start = stream.CanSeek ? stream.Position : 0;
        int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (stream.CanSeek)
        {
            stream.Position = start;
        }
        else
        {
            stream = new Wts.ReplayStream(head.AsMemory(0, read), stream);
        }
        var format = DetectWtsFormat(head.AsSpan(0, read), source);
        return format == WeightFileFormat.WtsV2
            ? Wts.WeightFileV2Reader.Read(stream, source, options, logger)
            : Wts.WeightFileV1Reader.Read(stream, source, options, logger);
    }

    /// <summary>
    /// Tells V2 from V1 by the first record: after <c>name type</c>, V2 has the shape tuple (<c>(</c>), V1 the
    /// decimal element count. <paramref name="head"/> is the start of the file.
    /// </summary>
    internal static WeightFileFormat DetectWtsFormat(ReadOnlySpan<byte> head, string source)
    {
        int newline = head.IndexOf((byte)'\n');
        if (newline < 0)
        {
            throw new WeightFormatException(
                "Missing record count: a .wts file starts with the decimal number of records and a newline.", source, null, null, 0);
        }
        // The first record: name, space, type, space, then '(' for V2 or a digit for V1.
        var rest = head[(newline + 1)..];
        int fieldsSeen = 0;
        for (int i = 0; i < rest.Length; i++)
        {
            if (rest[i] == (byte)' ')
            {
                fieldsSeen++;
                if (fieldsSeen == 2)
                {
                    return i + 1 < rest.Length && rest[i + 1] == (byte)'(' ? WeightFileFormat.WtsV2 : WeightFileFormat.WtsV1;
                }
            }
            else if (rest[i] == (byte)'\n')
            {
                break;
            }
        }
        // No complete first record header: an empty file (count 0) or a truncated one; the V2 reader says which.
        return WeightFileFormat.WtsV2;
    }
}
