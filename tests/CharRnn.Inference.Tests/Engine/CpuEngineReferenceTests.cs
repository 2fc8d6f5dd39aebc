using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Engine;

/// <summary>The converter + CPU engine against the independent float64 TF implementation.</summary>
public class CpuEngineReferenceTests
{
    public static IEnumerable<TestCaseData> Shapes()
    {
        yield return new TestCaseData(3, 40, 65, (int?)24, 0f).SetName("3 layers, embedding 24, hidden 40, vocab 65");
        yield return new TestCaseData(2, 32, 65, (int?)null, 0f).SetName("2 layers one-hot, hidden 32, vocab 65");
        yield return new TestCaseData(1, 16, 11, (int?)8, 1f).SetName("1 layer, vocab 11, forget bias 1.0");
    }

    [TestCaseSource(nameof(Shapes))]
    public void Logits_match_float64_reference_at_every_step(int layers, int hidden, int vocab, int? embedding, float forgetBias)
    {
        var model = RandomModels.Model(layers, hidden, vocab, embedding, seed: 10 + layers, scale: 0.4f);
        using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu, Conversion = new ConversionOptions { ForgetBias = forgetBias } });
        var reference = new TfLstmReference(model, forgetBias);
        var rng = new Random(5);
        int[] tokens = [.. Enumerable.Range(0, 60).Select(_ => rng.Next(vocab))];

        using var session = engine.CreateSession();
        var logits = new float[tokens.Length * vocab];
        session.Feed(tokens, tokens.Length, logits);

        double worst = 0;
        for (int t = 0; t < tokens.Length; t++)
        {
            var expected = reference.Step(tokens[t]);
            for (int v = 0; v < vocab; v++)
            {
                double err = Math.Abs(logits[t * vocab + v] - expected[v]) / (1 + Math.Abs(expected[v]));
                worst = Math.Max(worst, err);
            }
        }
        Assert.That(worst, Is.LessThan(2e-5), "worst relative logit error over 60 steps");
    }

    // The second case is big enough (4 x 128 rows x 128 x 8 streams) to take the multi-threaded path.
    [TestCase(5, 24, 30)]
    [TestCase(8, 128, 6)]
    public void Streams_are_independent_and_equal_single_stream_runs(int streams, int hidden, int steps)
    {
        var model = RandomModels.Model(2, hidden, 65, 12, seed: 21, scale: 0.2f);
        using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        const int Vocab = 65;
        var rng = new Random(3);
        int[] tokens = [.. Enumerable.Range(0, streams * steps).Select(_ => rng.Next(Vocab))];
        using var batch = engine.CreateSession(streams);
        var batched = new float[steps * streams * Vocab];
        batch.Feed(tokens, steps, batched);

        for (int s = 0; s < streams; s++)
        {
            var reference = new TfLstmReference(model);
            for (int t = 0; t < steps; t++)
            {
                var expected = reference.Step(tokens[t * streams + s]);
                for (int v = 0; v < Vocab; v++)
                {
                    Assert.That(batched[(t * streams + s) * Vocab + v], Is.EqualTo(expected[v]).Within(1e-4), $"stream {s} step {t}");
                }
            }
        }
    }

    [Test]
    public void Greedy_generation_matches_reference_argmax_chain()
    {
        var model = RandomModels.Model(2, 48, 65, 16, seed: 33, scale: 0.5f);
        using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        int[] prime = model.Vocabulary.Encode("ROMEO:");
        var expected = new TfLstmReference(model).Greedy(prime, 120);

        using var session = engine.CreateSession();
        session.Feed(prime, prime.Length);
        var actual = new int[120];
        session.Generate(120, SamplingOptions.Greedy, seed: 0, counter: 0, actual);
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public void Single_layer_model_without_multi_rnn_cell_names_loads_and_runs()
    {
        var weights = RandomModels.Weights(1, 8, 65, null, seed: 4, multiCell: false);
        var model = CharRnnModel.FromWeights(weights);
        Assert.That(model.Dimensions, Is.EqualTo(new ModelDimensions(1, 8, 65, 65, false)));
        using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        using var session = engine.CreateSession();
        var logits = new float[65];
        session.Feed([3], 1, logits);
        var expected = new TfLstmReference(model).Step(3);
        Assert.That(logits.Select(l => (double)l), Is.EqualTo(expected).Within(1e-5));
    }

    [Test]
    public void Save_and_restore_state_resumes_identically()
    {
        var model = RandomModels.Model(2, 16, 65, 8, seed: 8);
        using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        using var session = engine.CreateSession(2);
        session.Feed([1, 2, 3, 4], 2);
        var state = new float[session.StateLength];
        session.SaveState(state);
        var first = new int[20];
        var sampling = new SamplingOptions { Temperature = 1f };
        session.Generate(10, sampling, 9, 0, first);
        session.RestoreState(state, hasLogits: true);
        var second = new int[20];
        session.Generate(10, sampling, 9, 0, second);
        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public void Generate_before_any_feed_is_refused()
    {
        var model = RandomModels.Model(1, 8, 65, 4, seed: 9);
        using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        using var session = engine.CreateSession();
        Assert.That(() => session.Generate(1, SamplingOptions.Greedy, 0, 0, new int[1]), Throws.InvalidOperationException);
        Assert.That(() => session.Feed([65], 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Named_gpu_backend_without_its_package_throws_backend_unavailable()
    {
        var model = RandomModels.Model(1, 8, 65, 4, seed: 9);
        var e = Assert.Throws<BackendUnavailableException>(() => InferenceEngine.Create(model, new EngineOptions { Backend = Backend.TensorRT }));
        Assert.That(e!.Message, Does.Contain("TensorRT"));
        using var auto = InferenceEngine.Create(model);
        Assert.That(auto.Backend, Is.EqualTo(Backend.Cpu));
    }
}
