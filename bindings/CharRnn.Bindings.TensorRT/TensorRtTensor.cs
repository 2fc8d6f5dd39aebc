namespace CharRnn.Bindings.TensorRT;

/// <summary>A tensor of a <see cref="TensorRtNetwork"/>; valid while that network is alive.</summary>
public readonly record struct TensorRtTensor
{
    internal TensorRtTensor(nint handle) => Handle = handle;

    internal nint Handle { get; }
}
