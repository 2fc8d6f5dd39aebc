using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Serving;
using CharRnn.Inference.Tests.Cuda;

namespace CharRnn.Inference.Gpu.Tests;

/// <summary>
/// Snapshots between the CPU and CUDA engines, through bytes: the same model fingerprint, greedy text that continues as the
/// CPU engine's, sampled text bit-exact from one CUDA engine instance to another (scheduled or not), and a pool of CUDA
/// engines draining one. Runs on the GPU machine; elsewhere (CI) every test is ignored with the provider's exact reason.
/// </summary>
[TestFixture]
[Category("Gpu")]
[NonParallelizable]
public sealed class CudaSnapshotTests
{
    private const string Prime = "ROMEO:\nWhat say you, my lord? I had thought to see thee here.";
    private static readonly GeneratorOptions Sampled = new() { Sampling = new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f }, Seed = 11 };

    private readonly CudaBackendProvider _provider = new();
    private CharRnnModel _model = null!;
    private InferenceEngine _cpu = null!;
    private InferenceEngine _gpu = null!;
    private InferenceEngine _otherGpu = null!;

    [OneTimeSetUp]
    public void RequireGpu()
    {
        CudaRequirement.IgnoreUnlessAvailable(_provider);
        _model = SeededModels.Create(2, 128, 0, seed: 2128);
        _cpu = InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cpu });
        _gpu = CreateGpu();
        _otherGpu = CreateGpu();
    }

    [OneTimeTearDown]
    public void DisposeEngines()
    {
        _otherGpu?.Dispose();
        _gpu?.Dispose();
        _cpu?.Dispose();
    }

    private InferenceEngine CreateGpu()
    {
        var engine = InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cuda, Providers = [_provider] });
        Assert.That(engine.Backend, Is.EqualTo(Backend.Cuda), "the GPU path must really run");
        return engine;
    }

    [Test]
    public void Cpu_and_cuda_engines_of_one_model_share_the_fingerprint()
    {
        Assert.That(_gpu.ModelFingerprint, Is.EqualTo(_cpu.ModelFingerprint));
        Assert.That(_otherGpu.ModelFingerprint, Is.EqualTo(_cpu.ModelFingerprint));
    }

    [Test]
    public void A_cpu_snapshot_continues_on_cuda_with_the_cpu_engines_greedy_text([Values] bool scheduled)
    {
        using var original = _cpu.CreateGenerator();
        original.Prime(Prime);
        original.Generate(40);
        byte[] bytes = original.Snapshot().ToBytes();
        string expected = original.Generate(160);

        using var scheduler = scheduled ? new GenerationScheduler(_gpu, new SchedulerOptions { MaxStreams = 4 }) : null;
        using var restored = ((IGeneratorFactory?)scheduler ?? _gpu).CreateGenerator(GeneratorSnapshot.FromBytes(bytes));
        Assert.That(restored.Engine.Backend, Is.EqualTo(Backend.Cuda));
        Assert.That(restored.Generate(160), Is.EqualTo(expected));
    }

    [Test]
    public void A_cuda_snapshot_continues_on_the_cpu_with_its_greedy_text()
    {
        using var original = _gpu.CreateGenerator();
        original.Prime(Prime);
        original.Generate(40);
        byte[] bytes = original.Snapshot().ToBytes();
        string expected = original.Generate(160);

        using var restored = _cpu.CreateGenerator(GeneratorSnapshot.FromBytes(bytes));
        Assert.That(restored.Generate(160), Is.EqualTo(expected));
    }

    [Test]
    public void Sampled_text_continues_bit_exact_on_another_cuda_engine([Values] bool scheduled)
    {
        using var original = _gpu.CreateGenerator(Sampled);
        original.Prime(Prime);
        original.Generate(33);
        byte[] bytes = original.Snapshot().ToBytes();
        string expected = original.Generate(300);

        using var scheduler = scheduled ? new GenerationScheduler(_otherGpu, new SchedulerOptions { MaxStreams = 4 }) : null;
        using var restored = ((IGeneratorFactory?)scheduler ?? _otherGpu).CreateGenerator(GeneratorSnapshot.FromBytes(bytes));
        Assert.That(restored.Generate(300), Is.EqualTo(expected));
    }

    [Test]
    public async Task A_pool_of_cuda_engines_drains_one_without_losing_a_character()
    {
        using var pool = new EnginePool(new EnginePoolOptions { Devices = [CreateGpu, CreateGpu], StreamsPerDevice = 8 });
        var generators = Enumerable.Range(0, 4).Select(i => pool.CreateGenerator(Sampled with { Seed = (ulong)i })).ToArray();
        var texts = generators.Select(g =>
        {
            g.Prime(Prime);
            return g.Generate(50);
        }).ToArray();
        await pool.DrainAsync(1).WaitAsync(TimeSpan.FromSeconds(60));
        for (int i = 0; i < generators.Length; i++)
        {
            texts[i] += generators[i].Generate(100);
            Assert.That(pool.DeviceOf(generators[i]), Is.Zero);
            using var alone = _gpu.CreateGenerator(Sampled with { Seed = (ulong)i });
            alone.Prime(Prime);
            Assert.That(texts[i], Is.EqualTo(alone.Generate(150)), $"conversation {i}");
            generators[i].Dispose();
        }
    }
}
