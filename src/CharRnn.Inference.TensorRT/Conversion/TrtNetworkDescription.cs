using CharRnn.Bindings.TensorRT;

namespace CharRnn.Inference.TensorRT.Conversion;

/// <summary>
/// A TensorRT network written down in managed code before any native call: layers in creation order with inferred
/// shapes, recurrence back edges and named outputs. <see cref="CharRnnNetworkBuilder"/> fills it (checking every
/// shape as TensorRT would), <see cref="TrtNetworkEmitter"/> replays it through the bindings, and tests read it
/// without TensorRT. Not thread-safe while being built.
/// </summary>
internal sealed class TrtNetworkDescription
{
    private readonly List<TrtLayer> _layers = [];
    private readonly List<(int Recurrence, TrtTensorRef Next)> _links = [];
    private readonly List<(string Name, TrtTensorRef Tensor)> _outputs = [];

    public IReadOnlyList<TrtLayer> Layers => _layers;

    /// <summary>Each recurrence's next value (<c>IRecurrenceLayer::setInput(1, next)</c>).</summary>
    public IReadOnlyList<(int Recurrence, TrtTensorRef Next)> RecurrenceLinks => _links;

    /// <summary>Marked outputs in order.</summary>
    public IReadOnlyList<(string Name, TrtTensorRef Tensor)> Outputs => _outputs;

    /// <summary>Network inputs in order.</summary>
    public IEnumerable<TrtLayer> Inputs => _layers.Where(l => l is TrtInputLayer);

    public TrtTensorInfo Info(TrtTensorRef tensor) => _layers[tensor.Layer].Outputs[tensor.Output];

    public TrtLayer Find(string name) =>
        _layers.SingleOrDefault(l => l.Name == name) ?? throw new KeyNotFoundException($"No layer named '{name}'.");

    public TrtTensorRef AddInput(string name, TensorRtDataType type, params long[] shape) =>
        Add(new TrtInputLayer(name) { Outputs = [new(shape, type)] });

    public TrtTensorRef AddConstant(string name, float[] values, params long[] shape)
    {
        RequireCount(name, values.Length, shape);
        return Add(new TrtConstantLayer(name, values, null) { Outputs = [new(shape, TensorRtDataType.Float)] });
    }

    public TrtTensorRef AddConstant(string name, int[] values, params long[] shape)
    {
        RequireCount(name, values.Length, shape);
        return Add(new TrtConstantLayer(name, null, values) { Outputs = [new(shape, TensorRtDataType.Int32)] });
    }

    /// <summary>Rank-2 <c>op(a) x op(b)</c> (the only form the network uses); shapes are checked.</summary>
    public TrtTensorRef AddMatrixMultiply(string name, TrtTensorRef a, MatrixOperation opA, TrtTensorRef b, MatrixOperation opB, int? loop = null)
    {
        var (m, k1) = Matrix(name, Info(a).Shape, opA);
        var (k2, n) = Matrix(name, Info(b).Shape, opB);
        if (k1 != k2)
        {
            throw new InvalidOperationException($"{name}: inner dimensions differ ({k1} vs {k2}).");
        }
        return Add(new TrtMatrixMultiplyLayer(name, opA, opB) { Inputs = [a, b], Outputs = [new([m, n], TensorRtDataType.Float)], Loop = loop });
    }

    /// <summary>Element-wise with TensorRT's broadcasting: equal ranks, each extent equal or 1.</summary>
    public TrtTensorRef AddElementWise(string name, TrtTensorRef a, TrtTensorRef b, ElementWiseOperation op, int? loop = null)
    {
        var sa = Info(a).Shape;
        var sb = Info(b).Shape;
        if (sa.Count != sb.Count)
        {
            throw new InvalidOperationException($"{name}: ranks differ ({Info(a)} vs {Info(b)}).");
        }
        var shape = new long[sa.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = sa[i] == sb[i] || sb[i] == 1 ? sa[i] : sa[i] == 1 ? sb[i]
                : throw new InvalidOperationException($"{name}: extents {sa[i]} and {sb[i]} do not broadcast (axis {i}).");
        }
        return Add(new TrtElementWiseLayer(name, op) { Inputs = [a, b], Outputs = [new(shape, Info(a).Type)], Loop = loop });
    }

    /// <summary>Gather along axis 0: the output is the indices' shape followed by the data's remaining extents.</summary>
    public TrtTensorRef AddGather(string name, TrtTensorRef data, TrtTensorRef indices)
    {
        var info = Info(data);
        if (Info(indices).Type != TensorRtDataType.Int32)
        {
            throw new InvalidOperationException($"{name}: indices must be int32.");
        }
        long[] shape = [.. Info(indices).Shape, .. info.Shape.Skip(1)];
        return Add(new TrtGatherLayer(name, 0) { Inputs = [data, indices], Outputs = [new(shape, info.Type)] });
    }

    public TrtTensorRef AddSlice(string name, TrtTensorRef input, long[] start, long[] size, long[] stride, int? loop = null)
    {
        var info = Info(input);
        if (start.Length != info.Shape.Count || size.Length != start.Length || stride.Length != start.Length)
        {
            throw new InvalidOperationException($"{name}: slice rank does not match {info}.");
        }
        for (int i = 0; i < start.Length; i++)
        {
            if (start[i] < 0 || size[i] < 1 || start[i] + (size[i] - 1) * stride[i] >= info.Shape[i])
            {
                throw new InvalidOperationException($"{name}: slice [{start[i]}, +{size[i]} step {stride[i]}) leaves axis {i} of {info}.");
            }
        }
        return Add(new TrtSliceLayer(name, start, size, stride) { Inputs = [input], Outputs = [new(size, info.Type)], Loop = loop });
    }

    public TrtTensorRef AddReshape(string name, TrtTensorRef input, params long[] shape)
    {
        var info = Info(input);
        if (Product(shape) != Product(info.Shape))
        {
            throw new InvalidOperationException($"{name}: cannot reshape {info} to [{string.Join(", ", shape)}].");
        }
        return Add(new TrtReshapeLayer(name) { Inputs = [input], Outputs = [new(shape, info.Type)] });
    }

    public TrtTensorRef AddActivation(string name, TrtTensorRef input, ActivationType type, int? loop = null) =>
        Add(new TrtActivationLayer(name, type) { Inputs = [input], Outputs = [Info(input)], Loop = loop });

    /// <summary>TopK over one axis: outputs 0 (values, float) and 1 (indices, int32) have extent k on that axis.</summary>
    public (TrtTensorRef Values, TrtTensorRef Indices) AddTopK(string name, TrtTensorRef input, TopKOperation op, int k, int axis)
    {
        var info = Info(input);
        if ((uint)axis >= (uint)info.Shape.Count || k < 1 || k > info.Shape[axis])
        {
            throw new InvalidOperationException($"{name}: top-{k} over axis {axis} of {info} is impossible.");
        }
        var shape = info.Shape.ToArray();
        shape[axis] = k;
        var layer = Add(new TrtTopKLayer(name, op, k, 1u << axis)
        {
            Inputs = [input],
            Outputs = [new(shape, info.Type), new(shape, TensorRtDataType.Int32)],
        });
        return (layer, layer with { Output = 1 });
    }

    public int AddLoop(string name) => Add(new TrtLoopLayer(name)).Layer;

    public void AddTripLimit(string name, int loop, TrtTensorRef count)
    {
        RequireScalarInt(name, count);
        Add(new TrtTripLimitLayer(name) { Inputs = [count], Loop = loop });
    }

    public TrtTensorRef AddIterator(string name, int loop, TrtTensorRef input, int axis)
    {
        var info = Info(input);
        long[] shape = [.. info.Shape.Take(axis), .. info.Shape.Skip(axis + 1)];
        return Add(new TrtIteratorLayer(name, axis) { Inputs = [input], Outputs = [new(shape, info.Type)], Loop = loop });
    }

    public TrtTensorRef AddRecurrence(string name, int loop, TrtTensorRef initial) =>
        Add(new TrtRecurrenceLayer(name) { Inputs = [initial], Outputs = [Info(initial)], Loop = loop });

    /// <summary>Links a recurrence to its next value, which must have the recurrence's shape.</summary>
    public void SetRecurrenceNext(TrtTensorRef recurrence, TrtTensorRef next)
    {
        if (_layers[recurrence.Layer] is not TrtRecurrenceLayer layer)
        {
            throw new InvalidOperationException($"Layer {recurrence.Layer} is not a recurrence.");
        }
        if (!Info(recurrence).Shape.SequenceEqual(Info(next).Shape))
        {
            throw new InvalidOperationException($"{layer.Name}: next value {Info(next)} differs from {Info(recurrence)}.");
        }
        _links.Add((recurrence.Layer, next));
    }

    /// <summary>
    /// A loop output. For <see cref="LoopOutputKind.Concatenate"/>, <paramref name="length"/> is a 0-D int32 constant
    /// whose value becomes the new leading extent.
    /// </summary>
    public TrtTensorRef AddLoopOutput(string name, int loop, TrtTensorRef value, LoopOutputKind kind, TrtTensorRef? length = null)
    {
        var info = Info(value);
        if (kind == LoopOutputKind.LastValue)
        {
            return Add(new TrtLoopOutputLayer(name, kind, 0) { Inputs = [value], Outputs = [info], Loop = loop });
        }
        var count = length ?? throw new InvalidOperationException($"{name}: a concatenating loop output needs a length.");
        RequireScalarInt(name, count);
        long extent = ((TrtConstantLayer)_layers[count.Layer]).Ints![0];
        return Add(new TrtLoopOutputLayer(name, kind, 0) { Inputs = [value, count], Outputs = [new([extent, .. info.Shape], info.Type)], Loop = loop });
    }

    public void MarkOutput(string name, TrtTensorRef tensor)
    {
        if (_outputs.Any(o => o.Name == name))
        {
            throw new InvalidOperationException($"Output '{name}' is already marked.");
        }
        _outputs.Add((name, tensor));
    }

    private TrtTensorRef Add(TrtLayer layer)
    {
        if (_layers.Any(l => l.Name == layer.Name))
        {
            throw new InvalidOperationException($"Layer name '{layer.Name}' is used twice.");
        }
        _layers.Add(layer);
        return new TrtTensorRef(_layers.Count - 1, 0);
    }

    private void RequireScalarInt(string name, TrtTensorRef tensor)
    {
        if (_layers[tensor.Layer] is not TrtConstantLayer { Ints.Length: 1 } || Info(tensor).Shape.Count != 0)
        {
            throw new InvalidOperationException($"{name}: needs a 0-D int32 constant.");
        }
    }

    private static void RequireCount(string name, int count, long[] shape)
    {
        if (Product(shape) != count)
        {
            throw new InvalidOperationException($"{name}: {count} values do not fill [{string.Join(", ", shape)}].");
        }
    }

    private static (long Rows, long Columns) Matrix(string name, IReadOnlyList<long> shape, MatrixOperation op)
    {
        if (shape.Count != 2 || op == MatrixOperation.Vector)
        {
            throw new InvalidOperationException($"{name}: only rank-2 matrices with None/Transpose are described.");
        }
        return op == MatrixOperation.Transpose ? (shape[1], shape[0]) : (shape[0], shape[1]);
    }

    private static long Product(IEnumerable<long> shape) => shape.Aggregate(1L, (a, b) => a * b);
}
