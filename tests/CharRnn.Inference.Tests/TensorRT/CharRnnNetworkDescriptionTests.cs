using CharRnn.Bindings.TensorRT;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.TensorRT.Conversion;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.TensorRT;

/// <summary>
/// The TensorRT network as described in managed code (no TensorRT needed): layer list, shapes, loop wiring, and its
/// numbers, run by a float64 interpreter of the description, against the independent TensorFlow reference.
/// </summary>
public class CharRnnNetworkDescriptionTests
{
    private const int Layers = 2, Hidden = 3, Vocab = 5, Embedding = 4, Streams = 2, Steps = 3;

    private static TrtNetworkDescription Describe(int? embedding = Embedding, int steps = Steps, float forgetBias = 0f)
    {
        var model = RandomModels.Model(Layers, Hidden, Vocab, embedding, seed: 3, scale: 0.6f);
        return CharRnnNetworkBuilder.Describe(TfToTrtWeightConverter.Convert(model, new ConversionOptions { ForgetBias = forgetBias }), Streams, steps);
    }

    [Test]
    public void Inputs_and_outputs_have_the_documented_names_types_and_shapes()
    {
        var d = Describe();
        var inputs = d.Inputs.Select(l => $"{l.Name}:{l.Outputs[0]}").ToArray();
        Assert.That(inputs, Is.EqualTo(new[]
        {
            "tokens:Int32[3, 2]",
            "h_in_0:Float[2, 3]", "c_in_0:Float[2, 3]",
            "h_in_1:Float[2, 3]", "c_in_1:Float[2, 3]",
        }));
        var outputs = d.Outputs.Select(o => $"{o.Name}:{d.Info(o.Tensor)}").ToArray();
        Assert.That(outputs, Is.EqualTo(new[]
        {
            "h_out_0:Float[2, 3]", "c_out_0:Float[2, 3]",
            "h_out_1:Float[2, 3]", "c_out_1:Float[2, 3]",
            "logits:Float[3, 2, 5]",
            "next_token:Int32[2, 1]",
        }));
    }

    [Test]
    public void The_layer_list_is_one_ILoop_LSTM_then_FC_then_TopK()
    {
        var d = Describe();
        var kinds = d.Layers.GroupBy(l => l.GetType().Name).ToDictionary(g => g.Key, g => g.Count());
        Assert.Multiple(() =>
        {
            Assert.That(kinds["TrtLoopLayer"], Is.EqualTo(1));
            Assert.That(kinds["TrtTripLimitLayer"], Is.EqualTo(1));
            Assert.That(kinds["TrtIteratorLayer"], Is.EqualTo(1));
            Assert.That(kinds["TrtRecurrenceLayer"], Is.EqualTo(2 * Layers), "h and c per layer");
            Assert.That(kinds["TrtLoopOutputLayer"], Is.EqualTo(2 * Layers + 1), "last h, c per layer + all top h");
            Assert.That(kinds["TrtGatherLayer"], Is.EqualTo(1), "layer 0 reads its input table");
            Assert.That(kinds["TrtMatrixMultiplyLayer"], Is.EqualTo(Layers + (Layers - 1) + 1), "R h per layer, W x above layer 0, FC");
            Assert.That(kinds["TrtSliceLayer"], Is.EqualTo(4 * Layers + 1), "four gates per layer + the last step");
            Assert.That(kinds["TrtActivationLayer"], Is.EqualTo(5 * Layers), "i, g, f, o and tanh(c') per layer");
            Assert.That(kinds["TrtTopKLayer"], Is.EqualTo(1));
        });
        var topK = d.Layers.OfType<TrtTopKLayer>().Single();
        Assert.That((topK.Op, topK.K, topK.ReduceAxes), Is.EqualTo((TopKOperation.Max, 1, 2u)), "argmax over the vocabulary axis");
    }

    [Test]
    public void Recurrent_and_FC_weights_are_constants_multiplied_transposed()
    {
        var d = Describe();
        foreach (string name in new[] { "l0_Rh", "l1_Rh", "l1_Wx", "fc_matmul" })
        {
            var m = (TrtMatrixMultiplyLayer)d.Find(name);
            Assert.That((m.OpA, m.OpB), Is.EqualTo((MatrixOperation.None, MatrixOperation.Transpose)), name);
            Assert.That(d.Layers[m.Inputs[1].Layer], Is.InstanceOf<TrtConstantLayer>(), name);
        }
        Assert.That(d.Info(new TrtTensorRef(d.Layers.ToList().IndexOf(d.Find("l0_R")), 0)).Shape, Is.EqualTo(new long[] { 4 * Hidden, Hidden }));
        Assert.That(d.Info(new TrtTensorRef(d.Layers.ToList().IndexOf(d.Find("l1_W")), 0)).Shape, Is.EqualTo(new long[] { 4 * Hidden, Hidden }));
        Assert.That(d.Info(new TrtTensorRef(d.Layers.ToList().IndexOf(d.Find("fc_w")), 0)).Shape, Is.EqualTo(new long[] { Vocab, Hidden }));
    }

    [Test]
    public void Gates_are_sliced_in_TensorRT_order_with_their_activations()
    {
        var d = Describe();
        var expected = new[] { ("i", 0, ActivationType.Sigmoid), ("g", 1, ActivationType.Tanh), ("f", 2, ActivationType.Sigmoid), ("o", 3, ActivationType.Sigmoid) };
        foreach (var (gate, block, activation) in expected)
        {
            var act = (TrtActivationLayer)d.Find("l1_" + gate);
            var slice = (TrtSliceLayer)d.Layers[act.Inputs[0].Layer];
            Assert.That(act.Type, Is.EqualTo(activation), gate);
            Assert.That(slice.Start, Is.EqualTo(new long[] { 0, block * Hidden }), gate);
            Assert.That(slice.Size, Is.EqualTo(new long[] { Streams, Hidden }), gate);
        }
    }

    [Test]
    public void Every_recurrence_is_linked_to_its_next_value_and_the_loop_body_is_marked()
    {
        var d = Describe();
        var links = d.RecurrenceLinks.Select(l => $"{d.Layers[l.Recurrence].Name}->{d.Layers[l.Next.Layer].Name}").ToArray();
        Assert.That(links, Is.EquivalentTo(new[] { "l0_h->l0_h_next", "l0_c->l0_c_next", "l1_h->l1_h_next", "l1_c->l1_c_next" }));
        int loop = d.Layers.ToList().FindIndex(l => l is TrtLoopLayer);
        Assert.That(d.Find("l1_gates").Loop, Is.EqualTo(loop));
        Assert.That(d.Find("fc_matmul").Loop, Is.Null, "the FC runs once over all steps, outside the loop");
        var concat = (TrtLoopOutputLayer)d.Find("top_h_all");
        Assert.That(concat.Kind, Is.EqualTo(LoopOutputKind.Concatenate));
        Assert.That(d.Layers[concat.Inputs[1].Layer].Name, Is.EqualTo("trip_count"));
    }

    [TestCase(Embedding, 0f)]
    [TestCase(null, 0f)]
    [TestCase(Embedding, 1f)]
    public void Interpreted_description_matches_the_TF_reference_across_calls(int? embedding, float forgetBias)
    {
        var model = RandomModels.Model(Layers, Hidden, Vocab, embedding, seed: 3, scale: 0.6f);
        var d = CharRnnNetworkBuilder.Describe(TfToTrtWeightConverter.Convert(model, new ConversionOptions { ForgetBias = forgetBias }), Streams, Steps);
        var interpreter = new TrtDescriptionInterpreter(d);
        int[][] sequences = [[1, 4, 0, 2, 2, 3], [3, 3, 1, 0, 4, 1]];
        var references = sequences.Select(_ => new TfLstmReference(model, forgetBias)).ToArray();
        var state = new Dictionary<string, double[]>();
        for (int k = 0; k < Layers; k++)
        {
            state[TrtTensorNames.HiddenIn(k)] = new double[Streams * Hidden];
            state[TrtTensorNames.CellIn(k)] = new double[Streams * Hidden];
        }

        // Two calls of three steps: the second starts from the first's h/c outputs, as the session swaps addresses.
        for (int call = 0; call < 2; call++)
        {
            var inputs = new Dictionary<string, double[]>(state)
            {
                [TrtTensorNames.Tokens] = [.. Enumerable.Range(0, Steps).SelectMany(t => sequences.Select(s => (double)s[call * Steps + t]))],
            };
            var outputs = interpreter.Run(inputs);
            var logits = outputs[TrtTensorNames.Logits].Data;
            double[][] last = new double[Streams][];
            for (int t = 0; t < Steps; t++)
            {
                for (int s = 0; s < Streams; s++)
                {
                    var expected = references[s].Step(sequences[s][call * Steps + t]);
                    last[s] = expected;
                    for (int v = 0; v < Vocab; v++)
                    {
                        Assert.That(logits[(t * Streams + s) * Vocab + v], Is.EqualTo(expected[v]).Within(1e-6), $"call {call}, step {t}, stream {s}, class {v}");
                    }
                }
            }
            Assert.That(outputs[TrtTensorNames.NextToken].Data, Is.EqualTo(last.Select(l => (double)TfLstmReference.ArgMax(l)).ToArray()));
            for (int k = 0; k < Layers; k++)
            {
                state[TrtTensorNames.HiddenIn(k)] = outputs[TrtTensorNames.HiddenOut(k)].Data;
                state[TrtTensorNames.CellIn(k)] = outputs[TrtTensorNames.CellOut(k)].Data;
            }
        }
    }

    [Test]
    public void Shape_mistakes_are_refused_while_describing()
    {
        var d = new TrtNetworkDescription();
        var a = d.AddConstant("a", new float[6], 2, 3);
        var b = d.AddConstant("b", new float[8], 4, 2);
        Assert.Multiple(() =>
        {
            Assert.That(() => d.AddMatrixMultiply("m", a, MatrixOperation.None, b, MatrixOperation.Transpose), Throws.InvalidOperationException.With.Message.Contains("inner dimensions"));
            Assert.That(() => d.AddElementWise("e", a, b, ElementWiseOperation.Sum), Throws.InvalidOperationException.With.Message.Contains("do not broadcast"));
            Assert.That(() => d.AddSlice("s", a, [0, 2], [2, 2], [1, 1]), Throws.InvalidOperationException.With.Message.Contains("leaves axis 1"));
            Assert.That(() => d.AddReshape("r", a, 4, 2), Throws.InvalidOperationException.With.Message.Contains("cannot reshape"));
            Assert.That(() => d.AddConstant("c", new float[5], 2, 3), Throws.InvalidOperationException.With.Message.Contains("do not fill"));
            Assert.That(() => d.AddConstant("a", new float[6], 2, 3), Throws.InvalidOperationException.With.Message.Contains("used twice"));
        });
        Assert.That(d.Info(d.AddMatrixMultiply("ok", a, MatrixOperation.Transpose, b, MatrixOperation.Transpose)).Shape, Is.EqualTo(new long[] { 3, 4 }));
    }
}
