using System.Globalization;
using CharRnn.Bindings.TensorRT;
using CharRnn.Inference.Conversion;

namespace CharRnn.Inference.TensorRT.Conversion;

/// <summary>
/// Describes the char-rnn network the TensorRT 10 way (FACTS.md section 3: RNNv2 is gone, so the LSTM is an ILoop):
/// <list type="number">
/// <item>tokens <c>[T][B]</c> gather rows of layer 0's input table <c>[V][4H]</c> (<c>W x + Wb + Rb</c> per character,
/// with x the embedding row or the one-hot vector, so layer 0 needs no input matrix multiply);</item>
/// <item>one ILoop over the T steps (TripLimit kCOUNT, an iterator over the gathered rows) computes every layer: gates =
/// x-part + <c>h R^T</c> (matrix multiplies with transposed constants), slices per gate i, c, f, o, sigmoid/tanh,
/// <c>c' = f c + i g</c>, <c>h' = o tanh(c')</c>, recurrences for h and c of each layer;</item>
/// <item>loop outputs: kLAST_VALUE of each h and c recurrence (the state outputs, as sampleCharRNN does) and
/// kCONCATENATE of the top layer's h' (every step's h);</item>
/// <item>FC: Constant <c>[V][H]</c> + MatrixMultiply (transposed) + ElementWise sum with the bias, giving logits
/// <c>[T][B][V]</c>, then TopK(kMAX, k = 1) over the vocabulary of the last step: the greedy next token.</item>
/// </list>
/// h and c of every layer are network inputs and outputs, so the session keeps state in device memory and swaps
/// tensor addresses between calls.
/// </summary>
internal static class CharRnnNetworkBuilder
{
    /// <summary>Bumped whenever the described network changes, so cached plans of an older description are not reused.</summary>
    public const int FormatVersion = 2;

    public static TrtNetworkDescription Describe(NetworkWeights network, int streams, int steps)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentOutOfRangeException.ThrowIfLessThan(streams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var dims = network.Dimensions;
        int h = dims.HiddenSize, v = dims.VocabularySize, g = 4 * h;
        var d = new TrtNetworkDescription();

        var tokens = d.AddInput(TrtTensorNames.Tokens, TensorRtDataType.Int32, steps, streams);
        var table = d.AddConstant("input_table", Layer0InputTable.Compute(network), v, g);
        var stepCount = d.AddConstant("trip_count", [steps]);
        var xRows = d.AddGather("layer0_input", table, tokens);

        int loop = d.AddLoop("time_loop");
        d.AddTripLimit("time_limit", loop, stepCount);
        var x = d.AddIterator("time_iterator", loop, xRows, axis: 0);

        TrtTensorRef below = default;
        for (int k = 0; k < dims.LayerCount; k++)
        {
            var layer = network.Layers[k];
            string p = string.Create(CultureInfo.InvariantCulture, $"l{k}_");
            var hIn = d.AddInput(TrtTensorNames.HiddenIn(k), TensorRtDataType.Float, streams, h);
            var cIn = d.AddInput(TrtTensorNames.CellIn(k), TensorRtDataType.Float, streams, h);
            var hRec = d.AddRecurrence(p + "h", loop, hIn);
            var cRec = d.AddRecurrence(p + "c", loop, cIn);
            var r = d.AddConstant(p + "R", layer.RecurrentWeights.ToArray(), g, h);

            TrtTensorRef xPart;
            if (k == 0)
            {
                xPart = x;
            }
            else
            {
                var w = d.AddConstant(p + "W", layer.InputWeights.ToArray(), g, layer.InputSize);
                var bias = d.AddConstant(p + "bias", SumBias(layer.InputBias, layer.RecurrentBias), 1, g);
                var wx = d.AddMatrixMultiply(p + "Wx", below, MatrixOperation.None, w, MatrixOperation.Transpose, loop);
                xPart = d.AddElementWise(p + "Wx_bias", wx, bias, ElementWiseOperation.Sum, loop);
            }
            var rh = d.AddMatrixMultiply(p + "Rh", hRec, MatrixOperation.None, r, MatrixOperation.Transpose, loop);
            var gates = d.AddElementWise(p + "gates", xPart, rh, ElementWiseOperation.Sum, loop);

            // Gate blocks in TensorRT's order i, c, f, o (TrtGate); the forget bias is already folded into f.
            TrtTensorRef Gate(int index, string gate, ActivationType activation) =>
                d.AddActivation(p + gate, d.AddSlice(p + gate + "_slice", gates, [0, index * h], [streams, h], [1, 1], loop), activation, loop);
            var i = Gate(0, "i", ActivationType.Sigmoid);
            var c = Gate(1, "g", ActivationType.Tanh);
            var f = Gate(2, "f", ActivationType.Sigmoid);
            var o = Gate(3, "o", ActivationType.Sigmoid);

            var fc = d.AddElementWise(p + "f_c", f, cRec, ElementWiseOperation.Product, loop);
            var ic = d.AddElementWise(p + "i_g", i, c, ElementWiseOperation.Product, loop);
            var cNext = d.AddElementWise(p + "c_next", fc, ic, ElementWiseOperation.Sum, loop);
            var hNext = d.AddElementWise(p + "h_next", o, d.AddActivation(p + "tanh_c", cNext, ActivationType.Tanh, loop), ElementWiseOperation.Product, loop);
            d.SetRecurrenceNext(hRec, hNext);
            d.SetRecurrenceNext(cRec, cNext);

            d.MarkOutput(TrtTensorNames.HiddenOut(k), d.AddLoopOutput(p + "h_last", loop, hRec, LoopOutputKind.LastValue));
            d.MarkOutput(TrtTensorNames.CellOut(k), d.AddLoopOutput(p + "c_last", loop, cRec, LoopOutputKind.LastValue));
            below = hNext;
        }

        var hAll = d.AddLoopOutput("top_h_all", loop, below, LoopOutputKind.Concatenate, stepCount);
        var hFlat = d.AddReshape("top_h_flat", hAll, (long)steps * streams, h);
        var fcW = d.AddConstant("fc_w", network.FcWeights.ToArray(), v, h);
        var fcB = d.AddConstant("fc_b", network.FcBias.ToArray(), 1, v);
        var product = d.AddMatrixMultiply("fc_matmul", hFlat, MatrixOperation.None, fcW, MatrixOperation.Transpose);
        var logitsFlat = d.AddElementWise("fc_bias", product, fcB, ElementWiseOperation.Sum);
        var logits = d.AddReshape("logits_3d", logitsFlat, steps, streams, v);
        d.MarkOutput(TrtTensorNames.Logits, logits);

        var last = d.AddSlice("last_step", logits, [steps - 1, 0, 0], [1, streams, v], [1, 1, 1]);
        var last2 = d.AddReshape("last_step_2d", last, streams, v);
        var (_, argmax) = d.AddTopK("argmax", last2, TopKOperation.Max, 1, axis: 1);
        d.MarkOutput(TrtTensorNames.NextToken, argmax);
        return d;
    }

    private static float[] SumBias(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = new float[a.Length];
        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] = a[i] + b[i];
        }
        return sum;
    }
}
