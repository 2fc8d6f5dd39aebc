namespace CharRnn.Inference;

/// <summary>
/// Bytes that should hold a generator snapshot do not: another kind of file, a format version this library does not read,
/// a truncated or damaged snapshot (the checksum does not match), or header fields that contradict each other. The message
/// names what is wrong and where; nothing was restored. docs/SNAPSHOT-FORMAT.md describes the format.
/// </summary>
public sealed class SnapshotFormatException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public SnapshotFormatException() { }

    /// <summary>Creates the exception with a message.</summary>
    public SnapshotFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public SnapshotFormatException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with the byte offset of the problem.</summary>
    public SnapshotFormatException(string message, long byteOffset) : base($"{message} (byte offset {byteOffset})")
        => ByteOffset = byteOffset;

    /// <summary>Offset from the snapshot's first byte where the problem was found, when known.</summary>
    public long? ByteOffset { get; }
}
