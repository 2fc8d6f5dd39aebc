namespace CharRnn.Inference.Weights;

/// <summary>How <see cref="WeightFileWriter"/> writes weights.</summary>
public sealed record WeightWriteOptions
{
    /// <summary>
    /// Stores every tensor as this type (<see cref="TensorDataType.Float32"/> or <see cref="TensorDataType.Float16"/>)
    /// instead of its own <see cref="WeightTensor.StoredType"/>. Only V2 files can hold float16; forcing float16 rounds
    /// each value to the nearest half, and a finite value beyond half's range (65504) is refused rather than turned into
    /// infinity. Null (the default) keeps each tensor's type, so a round trip is exact.
    /// </summary>
    public TensorDataType? ForceType { get; init; }

    /// <summary>Options that keep each tensor's stored type.</summary>
    public static WeightWriteOptions Default { get; } = new();
}
