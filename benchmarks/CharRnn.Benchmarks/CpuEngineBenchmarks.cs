using BenchmarkDotNet.Attributes;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

namespace CharRnn.Benchmarks;

/// <summary>
/// The CPU engine on the seed shape. Every result is per character (OperationsPerInvoke): per generated character of
/// one stream at batch 1, per character of all streams together at batch 64, per prime character for Feed.
/// </summary>
[MemoryDiagnoser]
public class CpuEngineBenchmarks
{
    private const int Batch1Steps = 64;
    private const int Batch64 = 64;
    private const int Batch64Steps = 16;
    private const int PrimeLength = 256;

    private static readonly SamplingOptions Sampled = new() { Temperature = 0.8f };

    private InferenceEngine _engine = null!;
    private EngineSession _single = null!;
    private EngineSession _batch = null!;
    private readonly int[] _singleOutput = new int[Batch1Steps];
    private readonly int[] _batchOutput = new int[Batch64Steps * Batch64];
    private int[] _prime = null!;

    [GlobalSetup]
    public void Setup()
    {
        _engine = InferenceEngine.Create(SeedModel.Create(), new EngineOptions { Backend = Backend.Cpu });
        _single = _engine.CreateSession(1);
        _single.Feed([0], 1);
        _batch = _engine.CreateSession(Batch64);
        _batch.Feed(new int[Batch64], 1);
        var rng = new Random(2);
        _prime = [.. Enumerable.Range(0, PrimeLength).Select(_ => rng.Next(_engine.Vocabulary.Count))];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _single.Dispose();
        _batch.Dispose();
        _engine.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Batch1Steps, Description = "Generate greedy, batch 1 (per char)")]
    public void GenerateGreedyBatch1() => _single.Generate(Batch1Steps, SamplingOptions.Greedy, 0, 0, _singleOutput);

    [Benchmark(OperationsPerInvoke = Batch1Steps, Description = "Generate T=0.8, batch 1 (per char)")]
    public void GenerateSampledBatch1() => _single.Generate(Batch1Steps, Sampled, 0, 0, _singleOutput);

    [Benchmark(OperationsPerInvoke = Batch64Steps * Batch64, Description = "Generate greedy, batch 64 (per char)")]
    public void GenerateGreedyBatch64() => _batch.Generate(Batch64Steps, SamplingOptions.Greedy, 0, 0, _batchOutput);

    [Benchmark(OperationsPerInvoke = PrimeLength, Description = "Feed 256-char prime, batch 1 (per char)")]
    public void FeedPrimeBatch1() => _single.Feed(_prime, PrimeLength);
}
