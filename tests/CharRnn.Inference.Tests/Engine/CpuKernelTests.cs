using CharRnn.Inference.Cpu;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.Reference;
using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.Engine;

/// <summary>
/// The CPU engine's panel kernel (GateKernel) at sizes that leave partial vectors and partial stream groups, in both
/// weight precisions, against the float64 reference and against itself one stream at a time.
/// </summary>
public class CpuKernelTests
{
    private static EngineOptions Options(CpuPrecision precision) =>
        new() { Backend = Backend.Cpu, Cpu = new CpuEngineOptions { Precision = precision } };

    // Hidden sizes below, at and between whole vectors (8 floats with AVX2, 16 with 512-bit Vector<T>, 4 on Arm), and
    // stream counts that are one, a whole group of three, and groups plus one or two.
    [TestCase(5, 1)]
    [TestCase(13, 3)]
    [TestCase(37, 5)]
    [TestCase(20, 17)]
    [TestCase(64, 4)]
    public void Float32_streams_match_the_float64_reference(int hidden, int streams)
    {
        var model = RandomModels.Model(2, hidden, 65, 11, seed: hidden + streams, scale: 0.4f);
        using var engine = InferenceEngine.Create(model, Options(CpuPrecision.Float32));
        const int Steps = 12, Vocab = 65;
        var rng = new Random(hidden);
        int[] tokens = [.. Enumerable.Range(0, streams * Steps).Select(_ => rng.Next(Vocab))];
        using var session = engine.CreateSession(streams);
        var logits = new float[Steps * streams * Vocab];
        session.Feed(tokens, Steps, logits);

        double worst = 0;
        for (int s = 0; s < streams; s++)
        {
            var reference = new TfLstmReference(model);
            for (int t = 0; t < Steps; t++)
            {
                var expected = reference.Step(tokens[t * streams + s]);
                for (int v = 0; v < Vocab; v++)
                {
                    double err = Math.Abs(logits[(t * streams + s) * Vocab + v] - expected[v]) / (1 + Math.Abs(expected[v]));
                    worst = Math.Max(worst, err);
                }
            }
        }
        Assert.That(worst, Is.LessThan(1e-5), "worst relative logit error");
    }

    // A stream's bits must not depend on how many streams step with it: in a group of three, among the last one or two,
    // alone in a session, or (bfloat16) with its weights widened once per block for the group or as it goes when alone.
    [TestCase(CpuPrecision.Float32, 13)]
    [TestCase(CpuPrecision.Float32, 40)]
    [TestCase(CpuPrecision.BFloat16, 13)]
    [TestCase(CpuPrecision.BFloat16, 40)]
    public void A_stream_has_the_same_bits_in_any_company(CpuPrecision precision, int hidden)
    {
        var model = RandomModels.Model(2, hidden, 65, 11, seed: 7, scale: 0.4f);
        using var engine = InferenceEngine.Create(model, Options(precision));
        const int Streams = 17, Steps = 6;
        var rng = new Random(1);
        int[][] text = [.. Enumerable.Range(0, Streams).Select(_ => Enumerable.Range(0, Steps).Select(_ => rng.Next(65)).ToArray())];
        using var all = engine.CreateSession(Streams);
        var tokens = new int[Streams];
        for (int t = 0; t < Steps; t++)
        {
            for (int s = 0; s < Streams; s++) tokens[s] = text[s][t];
            all.Step(tokens);
        }
        var expected = new float[all.StreamStateLength];
        var actual = new float[all.StreamStateLength];
        foreach (int active in new[] { 1, 2, 3, 5 })
        {
            using var few = engine.CreateSession(active);
            var prefix = new int[active];
            for (int t = 0; t < Steps; t++)
            {
                for (int s = 0; s < active; s++) prefix[s] = text[s][t];
                few.Step(prefix);
            }
            for (int s = 0; s < active; s++)
            {
                all.SaveStream(s, expected);
                few.SaveStream(s, actual);
                Assert.That(actual, Is.EqualTo(expected), $"stream {s} of {active} against the same stream of {Streams}, bit for bit");
            }
        }
    }

    // With weights that bfloat16 holds exactly, the bfloat16 engine computes the float64 reference's network: the kernel's
    // widening and layout add nothing beyond float32 rounding.
    [Test]
    public void BFloat16_on_bfloat16_exact_weights_matches_the_float64_reference()
    {
        var model = RoundedToBFloat16(RandomModels.Weights(2, 37, 65, 11, seed: 3, scale: 0.4f));
        using var engine = InferenceEngine.Create(model, Options(CpuPrecision.BFloat16));
        double worst = WorstError(engine, model, streams: 4);
        Assert.That(worst, Is.LessThan(1e-5), "worst relative logit error");
    }

    // On arbitrary weights the only loss is rounding each weight to 8 significant bits (relative error up to 2^-9, about
    // 2e-3 per product); over 20 steps of a 64-unit model with weights of this scale the logits move by about 1e-2 of
    // their magnitude (measured: 1.0e-2), and they do move, so the weights really are narrowed.
    [Test]
    public void BFloat16_logits_stay_within_the_rounding_bound()
    {
        var model = RandomModels.Model(2, 64, 65, 16, seed: 12, scale: 0.4f);
        using var engine = InferenceEngine.Create(model, Options(CpuPrecision.BFloat16));
        double worst = WorstError(engine, model, streams: 5);
        Assert.That(worst, Is.LessThan(3e-2).And.GreaterThan(1e-4), "worst relative logit error");
    }

    // The cell's float32 sigmoid and tanh against float64 over the range that matters (beyond it they saturate).
    [Test]
    public void Cell_activations_are_within_a_few_float32_roundings_of_float64()
    {
        int lanes = System.Numerics.Vector<float>.Count;
        double worstSigmoid = 0, worstTanh = 0;
        var x = new float[lanes];
        for (double start = -40; start < 40; start += 0.01 * lanes)
        {
            for (int l = 0; l < lanes; l++) x[l] = (float)(start + 0.01 * l);
            var v = new System.Numerics.Vector<float>(x);
            var s = CellEpilogue.Sigmoid(v);
            var t = CellEpilogue.Tanh(v);
            for (int l = 0; l < lanes; l++)
            {
                double xl = x[l];
                worstSigmoid = Math.Max(worstSigmoid, Math.Abs(s[l] - 1 / (1 + Math.Exp(-xl))));
                worstTanh = Math.Max(worstTanh, Math.Abs(t[l] - Math.Tanh(xl)));
            }
        }
        TestContext.Out.WriteLine($"worst absolute error: sigmoid {worstSigmoid:G3}, tanh {worstTanh:G3}");
        Assert.That(worstSigmoid, Is.LessThan(3e-7), "sigmoid, absolute");
        Assert.That(worstTanh, Is.LessThan(3e-7), "tanh, absolute");
        Assert.That(CellEpilogue.Sigmoid(new System.Numerics.Vector<float>(-1000f))[0], Is.EqualTo(0f).Within(3e-7));
        Assert.That(CellEpilogue.Sigmoid(new System.Numerics.Vector<float>(1000f))[0], Is.EqualTo(1f).Within(3e-7));
        Assert.That(CellEpilogue.Tanh(new System.Numerics.Vector<float>(-1000f))[0], Is.EqualTo(-1f).Within(3e-7));
    }

    [Test]
    public void Options_are_validated_and_reported()
    {
        var model = RandomModels.Model(1, 8, 65, 4, seed: 9);
        Assert.Throws<ArgumentOutOfRangeException>(() => InferenceEngine.Create(model, Options((CpuPrecision)7)));
        using var engine = (CpuInferenceEngine)InferenceEngine.Create(model, Options(CpuPrecision.BFloat16));
        Assert.That(engine.Options.Precision, Is.EqualTo(CpuPrecision.BFloat16));
        Assert.That(engine.DeviceName, Does.Contain("bfloat16"));
        using var plain = (CpuInferenceEngine)InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        Assert.That(plain.Options.Precision, Is.EqualTo(CpuPrecision.Float32));
    }

    private static double WorstError(InferenceEngine engine, CharRnnModel model, int streams)
    {
        const int Steps = 20, Vocab = 65;
        var rng = new Random(4);
        int[] tokens = [.. Enumerable.Range(0, streams * Steps).Select(_ => rng.Next(Vocab))];
        using var session = engine.CreateSession(streams);
        var logits = new float[Steps * streams * Vocab];
        session.Feed(tokens, Steps, logits);
        double worst = 0;
        for (int s = 0; s < streams; s++)
        {
            var reference = new TfLstmReference(model);
            for (int t = 0; t < Steps; t++)
            {
                var expected = reference.Step(tokens[t * streams + s]);
                for (int v = 0; v < Vocab; v++)
                {
                    worst = Math.Max(worst, Math.Abs(logits[(t * streams + s) * Vocab + v] - expected[v]) / (1 + Math.Abs(expected[v])));
                }
            }
        }
        return worst;
    }

    // Every tensor rounded to the nearest bfloat16 (ties to even), so that narrowing it loses nothing.
    private static CharRnnModel RoundedToBFloat16(WeightSet weights)
    {
        var rounded = weights.Select(t => new WeightTensor(t.Name, [.. t.Shape], [.. t.Values.ToArray().Select(v =>
        {
            uint bits = BitConverter.SingleToUInt32Bits(v);
            return BitConverter.UInt32BitsToSingle((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000u);
        })]));
        return CharRnnModel.FromWeights(new WeightSet(rounded), new ModelLoadOptions { Vocabulary = Vocabulary.SampleCharRnn });
    }
}
