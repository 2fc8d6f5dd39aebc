using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;

namespace CharRnn.Benchmarks;

/// <summary>
/// Read bandwidth, for the floor of batch-1 generation (every weight is read once per character): a buffer the size of
/// the seed model's weights (cache-resident on a large L3) and one far beyond any cache (DRAM), on 1 and 2 threads.
/// Bandwidth = buffer bytes / time per operation.
/// </summary>
public class MemoryBandwidthBenchmarks
{
    private float[] _buffer = null!;

    [Params(16, 1024)]
    public int MegaBytes { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _buffer = new float[MegaBytes * (1 << 20) / sizeof(float)];
        // Ones, not random bits: denormals could slow the adds and measure the FPU instead of the memory. Filling also
        // touches every page before timing.
        _buffer.AsSpan().Fill(1f);
    }

    [Benchmark(Description = "Read the buffer once (sum)")]
    public float Read()
    {
        if (Threads == 1)
        {
            return TensorPrimitives.Sum(_buffer);
        }
        var partial = new float[Threads];
        int chunk = _buffer.Length / Threads;
        Parallel.For(0, Threads, t => partial[t] = TensorPrimitives.Sum(_buffer.AsSpan(t * chunk, chunk)));
        return partial.Sum();
    }
}
