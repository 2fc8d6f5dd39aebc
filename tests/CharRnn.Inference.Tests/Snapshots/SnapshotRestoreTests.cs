using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Serving;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Snapshots;

/// <summary>
/// Snapshots that travel: through bytes to a fresh engine instance (built from its own model load), between generators
/// with a session of their own and scheduled ones, continuing with exactly the text the original would have produced;
/// and refused, with the generator untouched, on another model.
/// </summary>
[TestFixture(false, false)]
[TestFixture(false, true)]
[TestFixture(true, false)]
[TestFixture(true, true)]
public class SnapshotRestoreTests(bool scheduledSource, bool scheduledTarget)
{
    private const int Layers = 2, Hidden = 32, Vocab = 65, Embedding = 16, Seed = 77;

    private InferenceEngine _source = null!;
    private InferenceEngine _target = null!;
    private GenerationScheduler? _sourceScheduler;
    private GenerationScheduler? _targetScheduler;
    private CharRnnModel _model = null!;

    private IGeneratorFactory Source => (IGeneratorFactory?)_sourceScheduler ?? _source;
    private IGeneratorFactory Target => (IGeneratorFactory?)_targetScheduler ?? _target;

    private static readonly GeneratorOptions Sampled = new() { Sampling = new SamplingOptions { Temperature = 0.9f, TopK = 30, TopP = 0.95f }, Seed = 1234 };

    [OneTimeSetUp]
    public void SetUp()
    {
        // Two loads and two conversions: the engines share nothing but the model's values.
        _model = RandomModels.Model(Layers, Hidden, Vocab, Embedding, Seed, scale: 0.6f);
        _source = InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cpu });
        _target = InferenceEngine.Create(RandomModels.Model(Layers, Hidden, Vocab, Embedding, Seed, scale: 0.6f), new EngineOptions { Backend = Backend.Cpu });
        _sourceScheduler = scheduledSource ? new GenerationScheduler(_source, new SchedulerOptions { MaxStreams = 4 }) : null;
        _targetScheduler = scheduledTarget ? new GenerationScheduler(_target, new SchedulerOptions { MaxStreams = 4 }) : null;
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _sourceScheduler?.Dispose();
        _targetScheduler?.Dispose();
        _source.Dispose();
        _target.Dispose();
    }

    [Test]
    public void Engines_of_the_same_model_built_apart_share_a_fingerprint()
    {
        Assert.That(_target.ModelFingerprint, Is.EqualTo(_source.ModelFingerprint));
        Assert.That(_source.ModelFingerprint.ToString(), Has.Length.EqualTo(32).And.Match("^[0-9a-f]{32}$"));
        Assert.That(_source.Network, Is.Not.SameAs(_target.Network));
    }

    [Test]
    public void Sampled_text_continues_bit_exact_through_bytes_on_another_engine()
    {
        using var original = Source.CreateGenerator(Sampled);
        original.Prime("First Citizen:\nBefore we proceed");
        original.Generate(37);
        byte[] bytes = original.Snapshot().ToBytes();
        string expected = original.Generate(150);

        using var restored = Target.CreateGenerator(GeneratorSnapshot.FromBytes(bytes));
        Assert.That(restored.Position, Is.EqualTo(37));
        Assert.That(restored.Options.Seed, Is.EqualTo(Sampled.Seed));
        Assert.That(restored.Generate(150), Is.EqualTo(expected));
    }

    [Test]
    public void Greedy_text_after_a_restore_is_the_float64_reference_continuation()
    {
        const string Prime = "ROMEO: ";
        using var original = Source.CreateGenerator();
        original.Prime(Prime);
        string first = original.Generate(40);
        var stream = new MemoryStream();
        original.Snapshot().WriteTo(stream);
        stream.Position = 0;

        using var restored = Target.CreateGenerator(GeneratorSnapshot.Read(stream));
        string next = restored.Generate(60);

        var reference = _model.Vocabulary.Decode(new TfLstmReference(_model).Greedy(_model.Vocabulary.Encode(Prime), 100));
        Assert.That(first + next, Is.EqualTo(reference));
    }

    [Test]
    public void Restore_keeps_the_generators_own_options_and_CreateGenerator_takes_the_snapshots()
    {
        using var original = Source.CreateGenerator(Sampled);
        original.Prime("KING:");
        var snapshot = GeneratorSnapshot.FromBytes(original.Snapshot().ToBytes());
        string expected = original.Generate(80);

        using var otherSeed = Target.CreateGenerator(Sampled with { Seed = 99 });
        otherSeed.Restore(snapshot);
        Assert.That(otherSeed.Options.Seed, Is.EqualTo(99));
        Assert.That(otherSeed.Generate(80), Is.Not.EqualTo(expected), "another seed, another text from the same state");

        using var adopted = Target.CreateGenerator(snapshot, new GeneratorOptions { Seed = 99, ChunkSize = 5 });
        Assert.That(adopted.Options.Seed, Is.EqualTo(Sampled.Seed));
        Assert.That(adopted.Options.Sampling, Is.EqualTo(Sampled.Sampling));
        Assert.That(adopted.Options.ChunkSize, Is.EqualTo(5), "the other options come from the caller");
        Assert.That(adopted.Generate(80), Is.EqualTo(expected));
    }

    [Test]
    public void Another_models_snapshot_is_refused_and_the_generator_is_untouched()
    {
        using var stranger = InferenceEngine.Create(RandomModels.Model(Layers, Hidden, Vocab, Embedding, Seed + 1, scale: 0.6f), new EngineOptions { Backend = Backend.Cpu });
        using var foreign = stranger.CreateGenerator();
        foreign.Prime("abc");
        var snapshot = GeneratorSnapshot.FromBytes(foreign.Snapshot().ToBytes());

        using var generator = Target.CreateGenerator();
        generator.Prime("Hello");
        var e = Assert.Throws<SnapshotMismatchException>(() => generator.Restore(snapshot));
        Assert.That(e!.Message, Does.Contain("weights or vocabulary differ").And.Contain(stranger.ModelFingerprint.ToString()).And.Contain(_target.ModelFingerprint.ToString()));
        Assert.That(e.SnapshotModel, Is.EqualTo(stranger.ModelFingerprint));
        Assert.That(e.EngineModel, Is.EqualTo(_target.ModelFingerprint));
        Assert.Throws<SnapshotMismatchException>(() => Target.CreateGenerator(snapshot));

        using var reference = Target.CreateGenerator();
        reference.Prime("Hello");
        Assert.That(generator.Generate(30), Is.EqualTo(reference.Generate(30)), "the failed restore left the state as it was");
    }

    [Test]
    public void Other_dimensions_are_named()
    {
        using var wider = InferenceEngine.Create(RandomModels.Model(Layers, Hidden + 8, Vocab, Embedding, Seed, scale: 0.6f), new EngineOptions { Backend = Backend.Cpu });
        using var foreign = wider.CreateGenerator();
        foreign.Prime("abc");
        using var generator = Target.CreateGenerator();
        var e = Assert.Throws<SnapshotMismatchException>(() => generator.Restore(GeneratorSnapshot.FromBytes(foreign.Snapshot().ToBytes())));
        Assert.That(e!.Message, Does.Contain("hidden size 40 in the snapshot, 32 in the engine"));
        Assert.That(e.Message, Does.Not.Contain("layers"));
    }

    [Test]
    public void The_same_weights_under_another_vocabulary_or_forget_bias_are_another_model()
    {
        var weights = RandomModels.Weights(Layers, Hidden, Vocab, Embedding, Seed, scale: 0.6f);
        var shuffled = new Vocabulary(Vocabulary.SampleCharRnn.Characters.Reverse());
        using var otherVocabulary = InferenceEngine.Create(CharRnnModel.FromWeights(weights, new ModelLoadOptions { Vocabulary = shuffled }), new EngineOptions { Backend = Backend.Cpu });
        using var otherBias = InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cpu, Conversion = new ConversionOptions { ForgetBias = 1f } });
        Assert.That(otherVocabulary.Dimensions, Is.EqualTo(_target.Dimensions));
        Assert.That(otherVocabulary.ModelFingerprint, Is.Not.EqualTo(_target.ModelFingerprint));
        Assert.That(otherBias.ModelFingerprint, Is.Not.EqualTo(_target.ModelFingerprint));

        using var generator = Source.CreateGenerator();
        generator.Prime("abc");
        using var stranger = otherVocabulary.CreateGenerator();
        Assert.Throws<SnapshotMismatchException>(() => stranger.Restore(generator.Snapshot()));
    }
}
