using CharRnn.Bindings.TensorRT;

namespace CharRnn.Inference.TensorRT.Conversion;

/// <summary>Replays a <see cref="TrtNetworkDescription"/> on a TensorRT network through the bindings, layer by layer.</summary>
internal static class TrtNetworkEmitter
{
    public static void Emit(TrtNetworkDescription description, TensorRtNetwork network)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(network);
        var outputs = new TensorRtTensor[description.Layers.Count][];
        var loops = new Dictionary<int, TensorRtLoop>();
        var recurrences = new Dictionary<int, TensorRtRecurrence>();
        TensorRtTensor In(TrtLayer layer, int index) => outputs[layer.Inputs[index].Layer][layer.Inputs[index].Output];
        TensorRtLoop LoopOf(TrtLayer layer) => loops[layer.Loop ?? throw new InvalidOperationException($"{layer.Name} is not in a loop.")];

        for (int n = 0; n < description.Layers.Count; n++)
        {
            var layer = description.Layers[n];
            var shape = layer.Outputs.Count > 0 ? layer.Outputs[0].Shape.ToArray() : [];
            outputs[n] = layer switch
            {
                TrtInputLayer => [network.AddInput(layer.Name, layer.Outputs[0].Type, shape)],
                TrtConstantLayer { Floats: { } floats } => [network.AddConstant(shape, floats)],
                TrtConstantLayer { Ints: { } ints } => [network.AddConstant(shape, ints)],
                TrtMatrixMultiplyLayer m => [network.AddMatrixMultiply(In(m, 0), m.OpA, In(m, 1), m.OpB)],
                TrtElementWiseLayer e => [network.AddElementWise(In(e, 0), In(e, 1), e.Op)],
                TrtGatherLayer g => [network.AddGather(In(g, 0), In(g, 1), g.Axis)],
                TrtSliceLayer s => [network.AddSlice(In(s, 0), s.Start, s.Size, s.Stride)],
                TrtReshapeLayer r => [network.AddReshape(In(r, 0), shape)],
                TrtActivationLayer a => [network.AddActivation(In(a, 0), a.Type)],
                TrtTopKLayer t => TopK(network, In(t, 0), t),
                TrtLoopLayer => Loop(network, loops, n),
                TrtTripLimitLayer tl => TripLimit(network, LoopOf(tl), In(tl, 0)),
                TrtIteratorLayer it => [network.AddIterator(LoopOf(it), In(it, 0), it.Axis)],
                TrtRecurrenceLayer rc => Recurrence(network, recurrences, n, LoopOf(rc), In(rc, 0)),
                TrtLoopOutputLayer lo => [network.AddLoopOutput(LoopOf(lo), In(lo, 0), lo.Kind, lo.Axis, lo.Inputs.Count > 1 ? In(lo, 1) : null)],
                _ => throw new InvalidOperationException($"No emitter for {layer.GetType().Name}."),
            };
        }
        foreach (var (recurrence, next) in description.RecurrenceLinks)
        {
            network.SetRecurrenceNext(recurrences[recurrence], outputs[next.Layer][next.Output]);
        }
        foreach (var (name, tensor) in description.Outputs)
        {
            network.MarkOutput(outputs[tensor.Layer][tensor.Output], name);
        }
    }

    private static TensorRtTensor[] TopK(TensorRtNetwork network, TensorRtTensor input, TrtTopKLayer layer)
    {
        var (values, indices) = network.AddTopK(input, layer.Op, layer.K, layer.ReduceAxes, TensorRtDataType.Int32);
        return [values, indices];
    }

    private static TensorRtTensor[] Loop(TensorRtNetwork network, Dictionary<int, TensorRtLoop> loops, int index)
    {
        loops[index] = network.AddLoop();
        return [];
    }

    private static TensorRtTensor[] TripLimit(TensorRtNetwork network, TensorRtLoop loop, TensorRtTensor count)
    {
        network.AddTripLimitCount(loop, count);
        return [];
    }

    private static TensorRtTensor[] Recurrence(TensorRtNetwork network, Dictionary<int, TensorRtRecurrence> recurrences, int index, TensorRtLoop loop, TensorRtTensor initial)
    {
        var recurrence = network.AddRecurrence(loop, initial);
        recurrences[index] = recurrence;
        return [recurrence.Value];
    }
}
