using System.Text.Json;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.EndToEnd;
using CharRnn.Inference.Tests.Reference;
using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Tests.DefaultModel;

/// <summary>
/// The embedded default model (tools/train, docs/MODEL.md) against the numbers the training run recorded in
/// tools/train/reference.json (PyTorch, float64, on the exported float16 tensors) and against our own float64 reference.
/// </summary>
public class TinyShakespeareModelTests
{
    private InferenceEngine _engine = null!;
    private JsonElement _reference;

    [OneTimeSetUp]
    public void Load()
    {
        _engine = InferenceEngine.Create(TinyShakespeareModel.Instance, new EngineOptions { Backend = Backend.Cpu });
        _reference = JsonDocument.Parse(File.ReadAllText(RepoFile("tools", "train", "reference.json"))).RootElement;
    }

    [OneTimeTearDown]
    public void Dispose() => _engine.Dispose();

    private static string RepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine([dir.FullName, .. parts]);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new AssertionException($"{Path.Combine(parts)} not found above {TestContext.CurrentContext.TestDirectory}.");
    }

    [Test]
    public void Embedded_model_has_the_seed_dimensions_in_float16()
    {
        var model = TinyShakespeareModel.Instance;
        Assert.That(model.Dimensions, Is.EqualTo(new ModelDimensions(2, 512, 512, 65, HasEmbedding: true)));
        Assert.That(model.Vocabulary, Is.SameAs(Vocabulary.SampleCharRnn));
        Assert.That(model.Weights.Select(t => t.StoredType), Is.All.EqualTo(TensorDataType.Float16));
    }

    [Test]
    public void Greedy_output_is_deterministic_and_equals_both_references()
    {
        var greedy = _reference.GetProperty("greedy").EnumerateArray().First(g => g.GetProperty("prime").GetString() == "ROMEO");
        string expected = greedy.GetProperty("continuation").GetString()!;

        string Run()
        {
            using var gen = _engine.CreateGenerator();
            gen.Prime("ROMEO");
            return gen.Generate(expected.Length);
        }
        string first = Run();
        Assert.That(Run(), Is.EqualTo(first));
        Assert.That(first, Is.EqualTo(expected), "PyTorch float64 reference (tools/train/reference.json)");
        var model = TinyShakespeareModel.Instance;
        var ours = model.Vocabulary.Decode(new TfLstmReference(model).Greedy(model.Vocabulary.Encode("ROMEO"), expected.Length));
        Assert.That(first, Is.EqualTo(ours), "our float64 reference");
    }

    [Test]
    public void Perplexity_on_the_fixed_test_slice_matches_the_recorded_value()
    {
        var slice = _reference.GetProperty("fixed_slice");
        int length = slice.GetProperty("length").GetInt32();
        double recorded = slice.GetProperty("perplexity").GetDouble();
        string test = TinyShakespeare.TestSplit(File.ReadAllText(TestData.SharedData("tinyshakespeare.txt")));
        using var gen = _engine.CreateGenerator();
        var score = gen.Score(test[..length]);
        TestContext.Out.WriteLine($"fixed slice perplexity {score.Perplexity:F6}, recorded {recorded:F6}");
        Assert.That(score.Predictions, Is.EqualTo(length - 1));
        Assert.That(score.Perplexity, Is.EqualTo(recorded).Within(1e-3));
    }

    // The reduced-precision mode on the real model: bfloat16 weights move the fixed slice's perplexity by far less than
    // 0.1% (docs/perf/CPU.md: 4.470815 -> 4.470851 on the whole test split) and leave the greedy text of every recorded
    // prime unchanged.
    [Test]
    public void BFloat16_weights_keep_perplexity_and_greedy_text()
    {
        using var reduced = InferenceEngine.Create(TinyShakespeareModel.Instance,
            new EngineOptions { Backend = Backend.Cpu, Cpu = new CpuEngineOptions { Precision = CpuPrecision.BFloat16 } });
        string test = TinyShakespeare.TestSplit(File.ReadAllText(TestData.SharedData("tinyshakespeare.txt")));
        int length = _reference.GetProperty("fixed_slice").GetProperty("length").GetInt32();
        using var full = _engine.CreateGenerator();
        using var narrow = reduced.CreateGenerator();
        double expected = full.Score(test[..length]).Perplexity, actual = narrow.Score(test[..length]).Perplexity;
        TestContext.Out.WriteLine($"fixed slice perplexity: float32 {expected:F6}, bfloat16 {actual:F6}");
        Assert.That(actual, Is.EqualTo(expected).Within(0.1).Percent);

        foreach (var greedy in _reference.GetProperty("greedy").EnumerateArray())
        {
            string prime = greedy.GetProperty("prime").GetString()!, continuation = greedy.GetProperty("continuation").GetString()!;
            using var gen = reduced.CreateGenerator();
            gen.Prime(prime);
            Assert.That(gen.Generate(continuation.Length), Is.EqualTo(continuation), prime);
        }
    }
}
