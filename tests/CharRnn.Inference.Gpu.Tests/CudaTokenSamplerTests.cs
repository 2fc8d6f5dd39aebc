using CharRnn.Bindings.Cuda;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Gpu.Tests;

/// <summary>
/// <see cref="CudaTokenSampler"/> against <see cref="TokenSampler"/> on the host: random logits in device memory, every
/// stream's token compared for several settings, stream counts and vocabularies (shared-memory and global scratch).
/// Runs on the GPU machine; elsewhere every test is ignored with the provider's exact reason.
/// </summary>
[TestFixtureSource(typeof(CudaRequirement), nameof(CudaRequirement.Fixtures))]
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
        CudaRequirement.IgnoreUnlessAvailable(new CudaBackendProvider());
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

    // Settings at the edges of the rule: a single kept index, a top-p reached at once or only at the end, a top-k at
    // the register path's lane boundaries, temperatures that flatten or sharpen the weights until they tie or underflow.
    private static readonly SamplingOptions[] EdgeSettings =
    [
        new() { Temperature = 1f, TopK = 1 },
        new() { Temperature = 1f, TopP = 1e-6f },
        new() { Temperature = 1f, TopK = 2 },
        new() { Temperature = 0.7f, TopK = 32, TopP = 0.999999f },
        new() { Temperature = 1f, TopK = 33 },
        new() { Temperature = 0.01f, TopK = 3, TopP = 0.5f },
        new() { Temperature = 100f, TopP = 0.99f },
        new() { Temperature = 1f },
    ];

    public static IEnumerable<TestCaseData> EdgeVocabularies()
    {
        // Around the register path's slot boundaries (32 per lane slot, 2/3/4/8 slots) and past it (257: scratch memory).
        foreach (int vocab in new[] { 1, 2, 31, 32, 33, 64, 65, 96, 97, 128, 129, 256, 257 })
        {
            yield return new TestCaseData(vocab).SetArgDisplayNames($"vocab {vocab}");
        }
    }

    [TestCaseSource(nameof(EdgeVocabularies))]
    public void Tokens_equal_TokenSampler_on_the_host_for_adversarial_logits(int vocab)
    {
        const int streams = 37;
        using var sampler = CudaTokenSampler.Create(_context!, vocab, streams);
        using var logits = _context!.Allocate<float>((long)streams * vocab);
        using var tokens = _context.Allocate<int>(streams);
        var host = new float[streams * vocab];
        var random = new Random(vocab);
        for (int s = 0; s < streams; s++)
        {
            FillAdversarialRow(host.AsSpan(s * vocab, vocab), s % 6, random);
        }
        logits.CopyFrom(host, _stream!);
        var scratch = new float[2 * vocab];
        var expected = new int[streams];
        var actual = new int[streams];
        foreach (var sampling in EdgeSettings)
        {
            for (long counter = 0; counter < 3; counter++)
            {
                Array.Fill(actual, -1);
                tokens.CopyFrom(actual, _stream!);
                sampler.SampleAsync(logits, 0, tokens, 0, streams, sampling, 2024, counter, _stream!);
                tokens.CopyTo(actual, _stream!);
                for (int s = 0; s < streams; s++)
                {
                    expected[s] = TokenSampler.Sample(host.AsSpan(s * vocab, vocab), sampling, CounterRng.Uniform(2024, s, counter), scratch);
                }
                Assert.That(expected, Has.None.LessThan(0), "every row has a finite maximum, so the rule always picks");
                Assert.That(actual, Is.EqualTo(expected), $"{sampling}, counter {counter}");
            }
        }
    }

    // Rows whose weights are exact (1, 0 or ties) or ordinary: every row has a finite maximum.
    private static void FillAdversarialRow(Span<float> row, int pattern, Random random)
    {
        int v = row.Length;
        switch (pattern)
        {
            case 0:
                // All equal: every weight is 1, the rule orders them by index.
                row.Fill(3.5f);
                break;
            case 1:
                // One maximum far above the rest: every other weight underflows to 0 (ties at 0 inside a top-k).
                row.Fill(-1000f);
                row[random.Next(v)] = 2f;
                break;
            case 2:
                // A few tied maxima at scattered indices, the rest -infinity (weight 0).
                row.Fill(float.NegativeInfinity);
                for (int i = 0; i < Math.Max(1, v / 10); i++)
                {
                    row[random.Next(v)] = 0.25f;
                }
                break;
            case 3:
                // Random values with -infinity sprinkled in (never the whole row: index 0 stays finite).
                for (int i = 0; i < v; i++)
                {
                    row[i] = i > 0 && random.Next(3) == 0 ? float.NegativeInfinity : (float)(random.NextDouble() * 6 - 3);
                }
                break;
            case 4:
                // Two levels: weights 1 and exactly 0 (exp(-1000 / T) underflows for every temperature used).
                for (int i = 0; i < v; i++)
                {
                    row[i] = random.Next(4) == 0 ? 1f : -1e30f;
                }
                row[v - 1] = 1f;
                break;
            default:
                for (int i = 0; i < v; i++)
                {
                    row[i] = (float)(random.NextDouble() * 8 - 4);
                }
                break;
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
