namespace CharRnn.Inference.Weights.TensorFlow;

/// <summary>One key/value pair of a table and the offset of the data block that held it (for error messages).</summary>
internal sealed record SsTableEntry(byte[] Key, byte[] Value, long BlockOffset);
