namespace CharRnn.Inference.TensorRT;

/// <summary>The arithmetic TensorRT may use for the network's matrix multiplies.</summary>
public enum TensorRtPrecision
{
    /// <summary>Float32 throughout (TF32 forbidden): matches the CPU reference closely.</summary>
    Float32 = 0,
    /// <summary>TF32 tensor-core matrix multiplies allowed (TensorRT's default): faster on Ampere and later, ~1e-3 relative error.</summary>
    Tf32 = 1,
}
