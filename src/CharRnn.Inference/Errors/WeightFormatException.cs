namespace CharRnn.Inference;

/// <summary>
/// A weight file is malformed, truncated or holds something this library cannot use. The message names the file,
/// the record and the byte offset; the same facts are available as properties.
/// </summary>
public sealed class WeightFormatException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public WeightFormatException() { }

    /// <summary>Creates the exception with a message.</summary>
    public WeightFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public WeightFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with its location.</summary>
    public WeightFormatException(string message, string? source, int? recordIndex, string? tensorName, long? byteOffset)
        : base(Describe(message, source, recordIndex, tensorName, byteOffset))
    {
        SourceName = source;
        RecordIndex = recordIndex;
        TensorName = tensorName;
        ByteOffset = byteOffset;
    }

    /// <summary>The file (or stream description) being read, when known.</summary>
    public string? SourceName { get; }

    /// <summary>Zero-based index of the record being read, when known.</summary>
    public int? RecordIndex { get; }

    /// <summary>Name of the tensor being read, when known.</summary>
    public string? TensorName { get; }

    /// <summary>Byte offset in the file where the problem was found, when known.</summary>
    public long? ByteOffset { get; }

    /// <summary>
    /// How many NaN or infinite values the tensor holds when that is the problem (0 otherwise): such a file loads with
    /// <see cref="Weights.NonFiniteWeightPolicy.Warn"/>, so a caller can tell its user how to load it anyway.
    /// </summary>
    public long NonFiniteValues { get; init; }

    private static string Describe(string message, string? source, int? recordIndex, string? tensorName, long? byteOffset)
    {
        var where = new List<string>(4);
        if (source is not null) where.Add(source);
        if (recordIndex is not null) where.Add($"record {recordIndex}");
        if (tensorName is not null) where.Add($"tensor '{MessageText.Printable(tensorName)}'");
        if (byteOffset is not null) where.Add($"byte offset {byteOffset}");
        return where.Count == 0 ? message : $"{message} ({string.Join(", ", where)})";
    }
}
