using BenchmarkDotNet.Attributes;
using CharRnn.Benchmarks.Onnx;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

namespace CharRnn.Benchmarks;

/// <summary>
/// The CPU engine (float32 and bfloat16 weights) against ONNX Runtime on the CPU, same network (the seed shape, random
/// weights), same threads (all cores, two on the benchmark machine), greedy, one step per call: our
/// <c>Generate(1, greedy)</c> against one <c>RunWithBinding</c> of <see cref="LstmStepGraph"/>. Every result is per
/// character: of the one stream at batch 1, of all streams together at batch 64. The setup checks that ONNX Runtime's
/// logits match ours within 1e-4, so both compute the same network.
/// </summary>
[MemoryDiagnoser]
public class CpuPeerBenchmarks
{
    private const int Batch1Steps = 64;
    private const int Batch64 = 64;
    private const int Batch64Steps = 16;

    private InferenceEngine _float32 = null!;
    private InferenceEngine _bfloat16 = null!;
    private EngineSession[] _sessions = null!;
    private OnnxRuntimeStepper _ort1 = null!;
    private OnnxRuntimeStepper _ort64 = null!;
    private readonly int[] _output = new int[Batch64];

    [GlobalSetup]
    public void Setup()
    {
        var model = SeedModel.Create();
        _float32 = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        _bfloat16 = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu, Cpu = new CpuEngineOptions { Precision = CpuPrecision.BFloat16 } });
        _sessions = [_float32.CreateSession(1), _bfloat16.CreateSession(1), _float32.CreateSession(Batch64), _bfloat16.CreateSession(Batch64)];
        var network = TfToTrtWeightConverter.Convert(model);
        int threads = Environment.ProcessorCount;
        _ort1 = new OnnxRuntimeStepper(network, 1, threads);
        _ort64 = new OnnxRuntimeStepper(network, Batch64, threads);
        Console.WriteLine($"// ONNX Runtime {OnnxRuntimeStepper.Version}, {threads} intra-op threads; ours: {_float32.DeviceName}");

        var rng = new Random(3);
        int[] tokens = [.. Enumerable.Range(0, Batch64).Select(_ => rng.Next(_float32.Vocabulary.Count))];
        Check(_sessions[0], _ort1, tokens.AsSpan(0, 1));
        Check(_sessions[2], _ort64, tokens);
        _sessions[1].Feed(tokens.AsSpan(0, 1), 1);
        _sessions[3].Feed(tokens, 1);
    }

    // Feeds the same tokens to both and compares their logits; then both generate from the same state.
    private static void Check(EngineSession ours, OnnxRuntimeStepper ort, ReadOnlySpan<int> tokens)
    {
        ours.Feed(tokens, 1);
        var logits = new float[ours.Streams * ours.Dimensions.VocabularySize];
        ours.ReadLogits(logits);
        ort.SetTokens(tokens);
        ort.Step();
        float worst = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(logits[i] - ort.Logits[i]));
        }
        if (worst > 1e-4f)
        {
            throw new InvalidOperationException($"ONNX Runtime's logits differ from ours by {worst} at batch {ort.Batch}: the two graphs are not the same network.");
        }
        Console.WriteLine($"// batch {ort.Batch}: ONNX Runtime's logits within {worst:G3} of ours");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var s in _sessions) s.Dispose();
        _ort1.Dispose();
        _ort64.Dispose();
        _float32.Dispose();
        _bfloat16.Dispose();
    }

    private void Generate(EngineSession session, int steps)
    {
        var output = _output.AsSpan(0, session.Streams);
        for (int t = 0; t < steps; t++)
        {
            session.Generate(1, SamplingOptions.Greedy, 0, 0, output);
        }
    }

    private static void Run(OnnxRuntimeStepper ort, int steps)
    {
        for (int t = 0; t < steps; t++)
        {
            ort.Step();
        }
    }

    [Benchmark(OperationsPerInvoke = Batch1Steps, Description = "batch 1, ours float32")]
    public void Batch1Float32() => Generate(_sessions[0], Batch1Steps);

    [Benchmark(OperationsPerInvoke = Batch1Steps, Description = "batch 1, ours bfloat16")]
    public void Batch1BFloat16() => Generate(_sessions[1], Batch1Steps);

    [Benchmark(OperationsPerInvoke = Batch1Steps, Description = "batch 1, ONNX Runtime")]
    public void Batch1OnnxRuntime() => Run(_ort1, Batch1Steps);

    [Benchmark(OperationsPerInvoke = Batch64Steps * Batch64, Description = "batch 64, ours float32")]
    public void Batch64Float32() => Generate(_sessions[2], Batch64Steps);

    [Benchmark(OperationsPerInvoke = Batch64Steps * Batch64, Description = "batch 64, ours bfloat16")]
    public void Batch64BFloat16() => Generate(_sessions[3], Batch64Steps);

    [Benchmark(OperationsPerInvoke = Batch64Steps * Batch64, Description = "batch 64, ONNX Runtime")]
    public void Batch64OnnxRuntime() => Run(_ort64, Batch64Steps);
}
