using CharRnn.Inference.Cuda;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests;

namespace CharRnn.Inference.Gpu.Tests;

/// <summary>
/// The CUDA engine against the CPU engine on trained weights: the real tensorflow-char-rnn checkpoint export
/// (../shared/data, 2 x 128 one-hot) and the embedded default model (2 x 512, embedding 512).
/// </summary>
[TestFixtureSource(typeof(CudaRequirement), nameof(CudaRequirement.Fixtures))]
[Category("Gpu")]
[NonParallelizable]
public sealed class RealModelParityTests
{
    /// <summary>sampleCharRNN's ten prime strings.</summary>
    private static readonly string[] SamplePrimes =
        ["ROMEO", "JUL", "The K", "That tho", "KING", "beauty of", "birth of K", "Hi", "JACK", "interestingly, it was J"];

    private readonly CudaBackendProvider _provider = new();
    private readonly List<InferenceEngine> _engines = [];

    [OneTimeSetUp]
    public void RequireGpu()
    {
        CudaRequirement.IgnoreUnlessAvailable(_provider);
    }

    [OneTimeTearDown]
    public void DisposeEngines() => _engines.ForEach(e => e.Dispose());

    private (InferenceEngine Cpu, InferenceEngine Gpu) Engines(CharRnnModel model)
    {
        var cpu = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        var gpu = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [_provider] });
        _engines.Add(cpu);
        _engines.Add(gpu);
        Assert.That(gpu.Backend, Is.EqualTo(Backend.Cuda));
        return (cpu, gpu);
    }

    private static CharRnnModel RealCheckpoint()
    {
        string dir = TestData.SharedData("tf-char-rnn-shakespeare-128");
        return CharRnnModel.Load(Path.Combine(dir, "model-85340.wts2"), new ModelLoadOptions { VocabularyPath = Path.Combine(dir, "vocab.json") });
    }

    private static void AssertSameGreedyText(InferenceEngine cpu, InferenceEngine gpu, int length)
    {
        foreach (string prime in SamplePrimes)
        {
            using var c = cpu.CreateGenerator();
            using var g = gpu.CreateGenerator();
            c.Prime(prime);
            g.Prime(prime);
            string expected = c.Generate(length);
            string actual = g.Generate(length);
            TestContext.Out.WriteLine($"{prime} -> {actual.Replace("\n", "\\n", StringComparison.Ordinal)}");
            Assert.That(actual, Is.EqualTo(expected), prime);
        }
    }

    [Test]
    public void Real_checkpoint_greedy_text_equals_the_cpu_engine()
    {
        var (cpu, gpu) = Engines(RealCheckpoint());
        AssertSameGreedyText(cpu, gpu, 200);
    }

    [Test]
    public void Default_model_greedy_text_equals_the_cpu_engine()
    {
        var (cpu, gpu) = Engines(TinyShakespeareModel.Instance);
        AssertSameGreedyText(cpu, gpu, 200);
    }

    [Test]
    public void Default_model_scores_the_test_slice_like_the_cpu_engine()
    {
        var (cpu, gpu) = Engines(TinyShakespeareModel.Instance);
        string text = File.ReadAllText(TestData.SharedData("tinyshakespeare.txt"));
        string slice = text[((int)(text.Length * 0.9) + (int)(text.Length * 0.05))..][..2000];
        using var c = cpu.CreateGenerator();
        using var g = gpu.CreateGenerator();
        var expected = c.Score(slice);
        var actual = g.Score(slice);
        TestContext.Out.WriteLine($"fixed slice perplexity: CPU {expected.Perplexity:F6}, CUDA {actual.Perplexity:F6}");
        Assert.That(actual.LogLikelihood, Is.EqualTo(expected.LogLikelihood).Within(1e-5).Percent);
    }

    [Test]
    public void Default_model_sampled_text_is_reproducible_per_seed()
    {
        var (_, gpu) = Engines(TinyShakespeareModel.Instance);
        var options = new Generation.GeneratorOptions { Sampling = new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f }, Seed = 42 };
        string Run()
        {
            using var g = gpu.CreateGenerator(options);
            g.Prime("ROMEO:");
            return g.Generate(300);
        }
        string first = Run();
        Assert.That(Run(), Is.EqualTo(first));
    }
}
