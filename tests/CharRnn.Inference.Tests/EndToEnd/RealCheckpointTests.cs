using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.EndToEnd;

/// <summary>
/// The real tensorflow-char-rnn checkpoint (2 x 128, one-hot input) exported by dumpTFWts (V2 with every optimizer slot),
/// through the loader, converter and CPU engine, against the independent float64 reference.
/// </summary>
public class RealCheckpointTests
{
    /// <summary>sampleCharRNN's ten prime strings (TensorRT samples/sampleCharRNN/sampleCharRNN.cpp).</summary>
    public static readonly string[] SamplePrimes =
        ["ROMEO", "JUL", "The K", "That tho", "KING", "beauty of", "birth of K", "Hi", "JACK", "interestingly, it was J"];

    private CharRnnModel _model = null!;
    private InferenceEngine _engine = null!;

    [OneTimeSetUp]
    public void Load()
    {
        string dir = TestData.SharedData("tf-char-rnn-shakespeare-128");
        _model = CharRnnModel.Load(Path.Combine(dir, "model-85340.wts2"), new ModelLoadOptions { VocabularyPath = Path.Combine(dir, "vocab.json") });
        _engine = InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cpu });
    }

    [OneTimeTearDown]
    public void Dispose() => _engine.Dispose();

    [Test]
    public void Model_has_the_checkpoint_dimensions()
    {
        Assert.That(_model.Dimensions, Is.EqualTo(new ModelDimensions(2, 128, 65, 65, HasEmbedding: false)));
        Assert.That(_model.Weights.SkippedRecords, Has.Count.EqualTo(21));
    }

    [TestCaseSource(nameof(SamplePrimes))]
    public void Greedy_continuation_of_sample_prime_equals_reference(string prime)
    {
        const int Length = 100;
        var expected = _model.Vocabulary.Decode(new TfLstmReference(_model).Greedy(_model.Vocabulary.Encode(prime), Length));
        using var gen = _engine.CreateGenerator();
        gen.Prime(prime);
        string actual = gen.Generate(Length);
        TestContext.Out.WriteLine($"{prime} -> {actual}");
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public void Checkpoint_prefix_generates_the_same_text_as_the_wts_export()
    {
        string dir = TestData.SharedData("tf-char-rnn-shakespeare-128");
        var fromCheckpoint = CharRnnModel.Load(Path.Combine(dir, "model-85340"), new ModelLoadOptions { VocabularyPath = Path.Combine(dir, "vocab.json") });
        using var engine = InferenceEngine.Create(fromCheckpoint, new EngineOptions { Backend = Backend.Cpu });
        foreach (string prime in SamplePrimes)
        {
            using var a = engine.CreateGenerator();
            using var b = _engine.CreateGenerator();
            a.Prime(prime);
            b.Prime(prime);
            Assert.That(a.Generate(100), Is.EqualTo(b.Generate(100)), prime);
        }
    }

    [Test]
    public void Test_split_perplexity_equals_reference()
    {
        string text = File.ReadAllText(TestData.SharedData("tinyshakespeare.txt"));
        string test = TinyShakespeare.TestSplit(text);
        Assert.That(test, Has.Length.EqualTo(55_771));

        using var gen = _engine.CreateGenerator();
        var score = gen.Score(test);
        double expected = new TfLstmReference(_model).LogLikelihood(_model.Vocabulary.Encode(test));
        TestContext.Out.WriteLine($"test-split perplexity {score.Perplexity:F6} (reference {Math.Exp(-expected / (test.Length - 1)):F6}), {score.BitsPerCharacter:F4} bits/char");
        Assert.That(score.Predictions, Is.EqualTo(55_770));
        Assert.That(score.LogLikelihood, Is.EqualTo(expected).Within(1e-5).Percent);
    }
}
