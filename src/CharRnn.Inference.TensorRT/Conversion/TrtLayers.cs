using CharRnn.Bindings.TensorRT;

namespace CharRnn.Inference.TensorRT.Conversion;

// The closed family of layer descriptions a TrtNetworkDescription holds: one record per TensorRT layer kind the
// char-rnn network uses, kept together because the emitter and the tests switch over all of them.

/// <summary>A tensor of a description: output <see cref="Output"/> of layer <see cref="Layer"/>.</summary>
internal readonly record struct TrtTensorRef(int Layer, int Output);

/// <summary>The shape and type of a described tensor.</summary>
internal sealed record TrtTensorInfo(IReadOnlyList<long> Shape, TensorRtDataType Type)
{
    public override string ToString() => $"{Type}[{string.Join(", ", Shape)}]";
}

/// <summary>One layer: its name, inputs, outputs and, inside a loop, the loop's layer index.</summary>
internal abstract record TrtLayer(string Name)
{
    public IReadOnlyList<TrtTensorRef> Inputs { get; init; } = [];

    public IReadOnlyList<TrtTensorInfo> Outputs { get; init; } = [];

    /// <summary>The index of the <see cref="TrtLoopLayer"/> this layer belongs to; null outside loops.</summary>
    public int? Loop { get; init; }
}

internal sealed record TrtInputLayer(string Name) : TrtLayer(Name);

internal sealed record TrtConstantLayer(string Name, float[]? Floats, int[]? Ints) : TrtLayer(Name);

internal sealed record TrtMatrixMultiplyLayer(string Name, MatrixOperation OpA, MatrixOperation OpB) : TrtLayer(Name);

internal sealed record TrtElementWiseLayer(string Name, ElementWiseOperation Op) : TrtLayer(Name);

internal sealed record TrtGatherLayer(string Name, int Axis) : TrtLayer(Name);

internal sealed record TrtSliceLayer(string Name, long[] Start, long[] Size, long[] Stride) : TrtLayer(Name);

internal sealed record TrtReshapeLayer(string Name) : TrtLayer(Name);

internal sealed record TrtActivationLayer(string Name, ActivationType Type) : TrtLayer(Name);

internal sealed record TrtTopKLayer(string Name, TopKOperation Op, int K, uint ReduceAxes) : TrtLayer(Name);

internal sealed record TrtLoopLayer(string Name) : TrtLayer(Name);

internal sealed record TrtTripLimitLayer(string Name) : TrtLayer(Name);

internal sealed record TrtIteratorLayer(string Name, int Axis) : TrtLayer(Name);

/// <summary>Input 0 is the initial value; the next value is linked later (<see cref="TrtNetworkDescription.RecurrenceLinks"/>).</summary>
internal sealed record TrtRecurrenceLayer(string Name) : TrtLayer(Name);

/// <summary>Input 0 is the value; for <see cref="LoopOutputKind.Concatenate"/> input 1 is the length.</summary>
internal sealed record TrtLoopOutputLayer(string Name, LoopOutputKind Kind, int Axis) : TrtLayer(Name);
