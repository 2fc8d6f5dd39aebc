using CharRnn.Bindings.TensorRT;
using CharRnn.Inference.TensorRT.Conversion;

namespace CharRnn.Inference.Tests.TensorRT;

/// <summary>
/// Runs a <see cref="TrtNetworkDescription"/> in float64 with TensorRT's documented layer semantics, so the described
/// network can be checked against the TensorFlow reference without TensorRT. Loop semantics: iterators hand out slice t
/// of axis 0; a recurrence yields its initial value on the first iteration and its linked next value afterwards;
/// kLAST_VALUE of a recurrence is the value after the last iteration; kCONCATENATE stacks the per-iteration values on
/// axis 0. TopK (k = 1) picks the lowest index on ties.
/// </summary>
internal sealed class TrtDescriptionInterpreter(TrtNetworkDescription description)
{
    private readonly Dictionary<TrtTensorRef, (double[] Data, long[] Shape)> _values = [];

    public Dictionary<string, (double[] Data, long[] Shape)> Run(IReadOnlyDictionary<string, double[]> inputs)
    {
        _values.Clear();
        var layers = description.Layers;
        var deferred = new List<int>();
        for (int n = 0; n < layers.Count; n++)
        {
            var layer = layers[n];
            if (layer.Loop is not null || layer is TrtLoopLayer)
            {
                continue;
            }
            if (layer.Inputs.All(_values.ContainsKey))
            {
                Evaluate(n, inputs);
            }
            else
            {
                deferred.Add(n);
            }
        }
        for (int n = 0; n < layers.Count; n++)
        {
            if (layers[n] is TrtLoopLayer)
            {
                RunLoop(n, inputs);
            }
        }
        foreach (int n in deferred)
        {
            Evaluate(n, inputs);
        }
        return description.Outputs.ToDictionary(o => o.Name, o => _values[o.Tensor]);
    }

    private void RunLoop(int loop, IReadOnlyDictionary<string, double[]> inputs)
    {
        var body = Enumerable.Range(0, description.Layers.Count).Where(i => description.Layers[i].Loop == loop).ToList();
        var tripLayer = description.Layers[body.Single(i => description.Layers[i] is TrtTripLimitLayer)];
        int trips = (int)_values[tripLayer.Inputs[0]].Data[0];
        var next = new Dictionary<int, (double[] Data, long[] Shape)>();
        var stacks = new Dictionary<int, List<double[]>>();
        for (int t = 0; t < trips; t++)
        {
            foreach (int n in body)
            {
                var layer = description.Layers[n];
                var key = new TrtTensorRef(n, 0);
                switch (layer)
                {
                    case TrtTripLimitLayer:
                        break;
                    case TrtIteratorLayer it:
                        Assert.That(it.Axis, Is.Zero);
                        var (data, shape) = _values[it.Inputs[0]];
                        int size = (int)(data.Length / shape[0]);
                        _values[key] = (data.AsSpan(t * size, size).ToArray(), shape[1..]);
                        break;
                    case TrtRecurrenceLayer:
                        _values[key] = t == 0 ? _values[layer.Inputs[0]] : next[n];
                        break;
                    case TrtLoopOutputLayer { Kind: LoopOutputKind.Concatenate } output:
                        (stacks.TryGetValue(n, out var list) ? list : stacks[n] = []).Add(_values[output.Inputs[0]].Data);
                        break;
                    case TrtLoopOutputLayer:
                        break;
                    default:
                        Evaluate(n, inputs);
                        break;
                }
            }
            foreach (var (recurrence, value) in description.RecurrenceLinks)
            {
                next[recurrence] = _values[value];
            }
        }
        foreach (int n in body)
        {
            if (description.Layers[n] is TrtLoopOutputLayer output)
            {
                var shape = output.Outputs[0].Shape.ToArray();
                _values[new TrtTensorRef(n, 0)] = output.Kind == LoopOutputKind.LastValue
                    ? next[output.Inputs[0].Layer]
                    : ([.. stacks[n].SelectMany(x => x)], shape);
            }
        }
    }

    private void Evaluate(int n, IReadOnlyDictionary<string, double[]> inputs)
    {
        var layer = description.Layers[n];
        var shape = layer.Outputs.Count > 0 ? layer.Outputs[0].Shape.ToArray() : [];
        (double[] Data, long[] Shape) In(int i) => _values[layer.Inputs[i]];
        var key = new TrtTensorRef(n, 0);
        switch (layer)
        {
            case TrtInputLayer:
                _values[key] = (inputs[layer.Name], shape);
                break;
            case TrtConstantLayer c:
                _values[key] = (c.Floats?.Select(x => (double)x).ToArray() ?? c.Ints!.Select(x => (double)x).ToArray(), shape);
                break;
            case TrtMatrixMultiplyLayer m:
                _values[key] = (MatMul(In(0), m.OpA, In(1), m.OpB), shape);
                break;
            case TrtElementWiseLayer e:
                _values[key] = (Broadcast(In(0), In(1), shape, e.Op == ElementWiseOperation.Sum ? (a, b) => a + b : (a, b) => a * b), shape);
                break;
            case TrtGatherLayer:
                var (table, tableShape) = In(0);
                int row = (int)(table.Length / tableShape[0]);
                _values[key] = ([.. In(1).Data.SelectMany(i => table.AsSpan((int)i * row, row).ToArray())], shape);
                break;
            case TrtSliceLayer s:
                _values[key] = (Slice(In(0), s.Start, s.Size, s.Stride), shape);
                break;
            case TrtReshapeLayer:
                _values[key] = (In(0).Data, shape);
                break;
            case TrtActivationLayer a:
                _values[key] = (In(0).Data.Select(x => a.Type == ActivationType.Sigmoid ? 1 / (1 + Math.Exp(-x)) : Math.Tanh(x)).ToArray(), shape);
                break;
            case TrtTopKLayer { K: 1 } topK:
                var (data, inShape) = In(0);
                Assert.That(topK.ReduceAxes, Is.EqualTo(1u << (inShape.Length - 1)), "only the last axis is interpreted");
                int width = (int)inShape[^1];
                var rows = Enumerable.Range(0, data.Length / width).Select(r => data.AsSpan(r * width, width).ToArray()).ToArray();
                _values[key] = ([.. rows.Select(r => r.Max())], shape);
                _values[key with { Output = 1 }] = ([.. rows.Select(r => (double)Array.IndexOf(r, r.Max()))], shape);
                break;
            default:
                Assert.Fail($"The interpreter has no rule for {layer}.");
                break;
        }
    }

    private static double[] MatMul((double[] Data, long[] Shape) a, MatrixOperation opA, (double[] Data, long[] Shape) b, MatrixOperation opB)
    {
        double A(int i, int j) => opA == MatrixOperation.Transpose ? a.Data[j * a.Shape[1] + i] : a.Data[i * a.Shape[1] + j];
        double B(int i, int j) => opB == MatrixOperation.Transpose ? b.Data[j * b.Shape[1] + i] : b.Data[i * b.Shape[1] + j];
        int m = (int)(opA == MatrixOperation.Transpose ? a.Shape[1] : a.Shape[0]);
        int k = (int)(opA == MatrixOperation.Transpose ? a.Shape[0] : a.Shape[1]);
        int n = (int)(opB == MatrixOperation.Transpose ? b.Shape[0] : b.Shape[1]);
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int x = 0; x < k; x++)
                {
                    sum += A(i, x) * B(x, j);
                }
                result[i * n + j] = sum;
            }
        }
        return result;
    }

    private static double[] Broadcast((double[] Data, long[] Shape) a, (double[] Data, long[] Shape) b, long[] shape, Func<double, double, double> op)
    {
        long count = shape.Aggregate(1L, (x, y) => x * y);
        var result = new double[count];
        var index = new long[shape.Length];
        for (long flat = 0; flat < count; flat++)
        {
            long rest = flat;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                index[d] = rest % shape[d];
                rest /= shape[d];
            }
            result[flat] = op(a.Data[Offset(a.Shape, index)], b.Data[Offset(b.Shape, index)]);
        }
        return result;
    }

    private static long Offset(long[] shape, long[] index)
    {
        long offset = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            offset = offset * shape[d] + (shape[d] == 1 ? 0 : index[d]);
        }
        return offset;
    }

    private static double[] Slice((double[] Data, long[] Shape) input, long[] start, long[] size, long[] stride)
    {
        long count = size.Aggregate(1L, (x, y) => x * y);
        var result = new double[count];
        var index = new long[size.Length];
        for (long flat = 0; flat < count; flat++)
        {
            long rest = flat;
            for (int d = size.Length - 1; d >= 0; d--)
            {
                index[d] = start[d] + rest % size[d] * stride[d];
                rest /= size[d];
            }
            result[flat] = input.Data[Offset(input.Shape, index)];
        }
        return result;
    }
}
