namespace CharRnn.Bindings.TensorRT;

/// <summary>
/// An <c>IRecurrenceLayer</c>: <see cref="Value"/> is the value inside the loop; give it its next value with
/// <see cref="TensorRtNetwork.SetRecurrenceNext"/> before building.
/// </summary>
public readonly record struct TensorRtRecurrence
{
    internal TensorRtRecurrence(nint layer, TensorRtTensor value)
    {
        Layer = layer;
        Value = value;
    }

    /// <summary>The value seen inside the loop (the initial value on the first iteration).</summary>
    public TensorRtTensor Value { get; }

    internal nint Layer { get; }
}
