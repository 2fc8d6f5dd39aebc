using CharRnn.Bindings.Cuda;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Gpu.Tests;

/// <summary>
/// <see cref="CudaTokenSampler"/> against <see cref="TokenSampler"/> on the host: random logits in device memory, every
/// stream's token compared for several settings, stream counts and vocabularies (shared-memory and global scratch).
/// Runs on the GPU machine; elsewhere every test is ignored with the provider's exact reason.
/// </summary>
[TestFixture]
[Category("Gpu")]
[NonParallelizable]
public sealed class CudaTokenSamplerTests
{
    private static readonly (SamplingOptions Sampling, ulong Seed, long Counter)[] Settings =
    [
        (SamplingOptions.Greedy, 0, 0),
        (new SamplingOptions { Temperature = 1f }, 1, 0),
        (new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f }, 7, 12345),
        (new SamplingOptions { Temperature = 1.3f, TopK = 5 }, 42, 3),
        (new SamplingOptions { Temperature = 0.5f, TopP = 0.9f }, 99, 1L << 40),
        (new SamplingOptions { Temperature = 2f, TopK = 1 }, 5, 17),
        (new SamplingOptions { Temperature = 0.25f, TopK = 1000, TopP = 0.5f }, ulong.MaxValue, 2),
    ];

    private CudaContext? _context;
    private CudaStream? _stream;

    public static IEnumerable<TestCaseData> Shapes()
    {
        foreach (int streams in new[] { 1, 7, 300 })
        {
            // 65 and 200 sample in shared memory; 400 in the sampler's global scratch.
            foreach (int vocab in new[] { 65, 200, 400 })
            {
                yield return new TestCaseData(streams, vocab).SetArgDisplayNames($"{streams} streams, vocab {vocab}");
            }
        }
    }

    [OneTimeSetUp]
    public void RequireGpu()
    {
        if (!new CudaBackendProvider().IsAvailable(out string reason, out var diagnostics))
        {
            Assert.Ignore($"CUDA backend unavailable: {reason} ({string.Join("; ", diagnostics)})");
        }
        _context = CudaContext.RetainPrimary(CudaDevice.Get(0));
        _stream = _context.CreateStream();
    }

    [OneTimeTearDown]
    public void Release()
    {
        _stream?.Dispose();
        _context?.Dispose();
    }

    [TestCaseSource(nameof(Shapes))]
    public void Tokens_equal_TokenSampler_on_the_host_for_every_stream(int streams, int vocab)
    {
        using var sampler = CudaTokenSampler.Create(_context!, vocab, streams);
        using var logits = _context!.Allocate<float>((long)streams * vocab);
        using var tokens = _context.Allocate<int>(streams);
        var host = new float[streams * vocab];
        var scratch = new float[2 * vocab];
        var expected = new int[streams];
        var actual = new int[streams];
        // Distinct logits, then logits on a coarse grid (many exact ties: the rule orders them by lower index).
        foreach (bool tied in new[] { false, true })
        {
            FillLogits(host, new Random(streams * 1000 + vocab + (tied ? 1 : 0)), tied);
            logits.CopyFrom(host, _stream!);
            foreach (var (sampling, seed, counter) in Settings)
            {
                Array.Fill(actual, -1);
                tokens.CopyFrom(actual, _stream!);
                sampler.SampleAsync(logits, 0, tokens, 0, streams, sampling, seed, counter, _stream!);
                tokens.CopyTo(actual, _stream!);
                for (int s = 0; s < streams; s++)
                {
                    expected[s] = TokenSampler.Sample(host.AsSpan(s * vocab, vocab), sampling, CounterRng.Uniform(seed, s, counter), scratch);
                }
                Assert.That(actual, Is.EqualTo(expected), $"{sampling}, seed {seed}, counter {counter}, {(tied ? "tied" : "distinct")} logits");
            }
        }
    }

    [Test]
    public void Offsets_select_the_rows_and_the_slots_and_nothing_else_is_written()
    {
        const int streams = 7, vocab = 65, logitsOffset = 3 * vocab, tokensOffset = 5;
        using var sampler = CudaTokenSampler.Create(_context!, vocab, maxStreams: 16);
        using var logits = _context!.Allocate<float>(logitsOffset + (long)streams * vocab + vocab);
        using var tokens = _context.Allocate<int>(tokensOffset + streams + 4);
        var host = new float[logits.Length];
        FillLogits(host, new Random(3), tied: false);
        logits.CopyFrom(host, _stream!);
        var slots = new int[tokens.Length];
        Array.Fill(slots, -1);
        tokens.CopyFrom(slots, _stream!);
        var sampling = new SamplingOptions { Temperature = 0.9f, TopK = 30 };
        sampler.SampleAsync(logits, logitsOffset, tokens, tokensOffset, streams, sampling, seed: 11, counter: 4, _stream!);
        tokens.CopyTo(slots, _stream!);

        var expected = Enumerable.Repeat(-1, slots.Length).ToArray();
        var scratch = new float[2 * vocab];
        for (int s = 0; s < streams; s++)
        {
            expected[tokensOffset + s] = TokenSampler.Sample(host.AsSpan(logitsOffset + s * vocab, vocab), sampling, CounterRng.Uniform(11, s, 4), scratch);
        }
        Assert.That(slots, Is.EqualTo(expected));
    }

    [Test]
    public void Launches_outside_the_sampler_s_limits_are_refused_and_disposal_is_final()
    {
        var sampler = CudaTokenSampler.Create(_context!, 65, maxStreams: 2);
        using var logits = _context!.Allocate<float>(3 * 65);
        using var tokens = _context.Allocate<int>(3);
        Assert.That(() => sampler.SampleAsync(logits, 0, tokens, 0, 3, SamplingOptions.Greedy, 0, 0, _stream!),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("streams"));
        sampler.Dispose();
        Assert.That(() => sampler.SampleAsync(logits, 0, tokens, 0, 1, SamplingOptions.Greedy, 0, 0, _stream!), Throws.InstanceOf<ObjectDisposedException>());
    }

    private static void FillLogits(float[] logits, Random random, bool tied)
    {
        for (int i = 0; i < logits.Length; i++)
        {
            float x = (float)(random.NextDouble() * 8 - 4);
            // A 0.5 grid over [-4, 4] gives 17 distinct values, so every row of 65+ logits has ties, the maximum included.
            logits[i] = tied ? MathF.Round(x * 2) / 2 : x;
        }
    }
}
