using CharRnn.Inference.Model;

namespace CharRnn.Inference;

/// <summary>
/// A well-formed generator snapshot was taken on another model than the engine asked to restore it: other dimensions, or
/// other weights or vocabulary (another <see cref="ModelFingerprint"/>). The message names what differs; nothing was
/// restored. Restore it on an engine built from the model it was taken on.
/// </summary>
public sealed class SnapshotMismatchException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public SnapshotMismatchException() { }

    /// <summary>Creates the exception with a message.</summary>
    public SnapshotMismatchException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public SnapshotMismatchException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with both models' identities.</summary>
    public SnapshotMismatchException(string message, ModelFingerprint snapshotModel, ModelFingerprint engineModel) : base(message)
    {
        SnapshotModel = snapshotModel;
        EngineModel = engineModel;
    }

    /// <summary>The fingerprint of the model the snapshot was taken on.</summary>
    public ModelFingerprint SnapshotModel { get; }

    /// <summary>The fingerprint of the engine's model.</summary>
    public ModelFingerprint EngineModel { get; }
}
