namespace CharRnn.Bindings.TensorRT;

/// <summary>An <c>ILoop</c> of a <see cref="TensorRtNetwork"/>; valid while that network is alive. Add layers through the network.</summary>
public readonly record struct TensorRtLoop
{
    internal TensorRtLoop(nint handle) => Handle = handle;

    internal nint Handle { get; }
}
