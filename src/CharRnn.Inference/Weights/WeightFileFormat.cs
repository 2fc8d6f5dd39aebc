namespace CharRnn.Inference.Weights;

/// <summary>The on-disk formats weights can be read from.</summary>
public enum WeightFileFormat
{
    /// <summary>Not known (built in memory).</summary>
    Unknown = 0,
    /// <summary>TensorRT <c>.wts</c> V2: binary blobs (dumpTFWts.py's default).</summary>
    WtsV2,
    /// <summary>TensorRT <c>.wts</c> V1: float32 bit patterns as unpadded lowercase hex.</summary>
    WtsV1,
    /// <summary>A TensorFlow checkpoint (tensor bundle): <c>prefix.index</c> plus <c>prefix.data-NNNNN-of-NNNNN</c>.</summary>
    TensorFlowCheckpoint,
}
