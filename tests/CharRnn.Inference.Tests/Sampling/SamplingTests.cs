using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Tests.Sampling;

public class SamplingTests
{
    private static readonly float[] Logits = [2.0f, 1.0f, 0.5f, -1.0f, 0.0f, 1.5f];

    private static double[] Softmax(float[] logits, double temperature, ISet<int>? keep = null)
    {
        var w = logits.Select((l, i) => keep is null || keep.Contains(i) ? Math.Exp(l / temperature) : 0.0).ToArray();
        double z = w.Sum();
        return [.. w.Select(x => x / z)];
    }

    private static double[] Frequencies(SamplingOptions options, ulong seed, int draws)
    {
        var counts = new double[Logits.Length];
        var scratch = new float[2 * Logits.Length];
        for (int n = 0; n < draws; n++)
        {
            counts[TokenSampler.Sample(Logits, options, CounterRng.Uniform(seed, 0, n), scratch)]++;
        }
        return [.. counts.Select(c => c / draws)];
    }

    // Chi-square goodness of fit; the bound is far beyond the 99.99th percentile for <= 5 degrees of freedom (~25.7).
    private static void AssertFits(double[] observed, double[] expected, int draws)
    {
        double chi2 = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] == 0)
            {
                Assert.That(observed[i], Is.Zero, $"id {i} must never be drawn");
                continue;
            }
            double e = expected[i] * draws, o = observed[i] * draws;
            chi2 += (o - e) * (o - e) / e;
        }
        Assert.That(chi2, Is.LessThan(30), $"chi-square {chi2:F2}; observed {string.Join(", ", observed.Select(x => x.ToString("F4")))} expected {string.Join(", ", expected.Select(x => x.ToString("F4")))}");
    }

    [TestCase(1.0f)]
    [TestCase(0.5f)]
    [TestCase(2.0f)]
    public void Temperature_sampling_follows_the_softmax(float temperature)
    {
        const int Draws = 100_000;
        AssertFits(Frequencies(new SamplingOptions { Temperature = temperature }, 42, Draws), Softmax(Logits, temperature), Draws);
    }

    [Test]
    public void Top_k_keeps_the_k_most_likely_renormalized()
    {
        const int Draws = 100_000;
        AssertFits(Frequencies(new SamplingOptions { Temperature = 1f, TopK = 3 }, 7, Draws), Softmax(Logits, 1, new HashSet<int> { 0, 5, 1 }), Draws);
    }

    [Test]
    public void Top_p_keeps_the_smallest_prefix_reaching_p()
    {
        // Softmax at T=1: ids ordered 0 (0.420), 5 (0.255), 1 (0.154), 2 (0.094), 4 (0.057), 3 (0.021).
        // p = 0.7: 0.420 + 0.255 = 0.674 < 0.7, adding id 1 gives 0.829 >= 0.7 -> keep {0, 5, 1}.
        const int Draws = 100_000;
        AssertFits(Frequencies(new SamplingOptions { Temperature = 1f, TopP = 0.7f }, 11, Draws), Softmax(Logits, 1, new HashSet<int> { 0, 5, 1 }), Draws);
    }

    [Test]
    public void Greedy_is_argmax_with_lowest_index_on_ties()
    {
        var scratch = new float[8];
        Assert.That(TokenSampler.Sample([0f, 3f, 1f, 3f], SamplingOptions.Greedy, 0.99f, scratch), Is.EqualTo(1));
    }

    [Test]
    public void Top_k_of_one_is_greedy_whatever_the_random_number()
    {
        var scratch = new float[2 * Logits.Length];
        var options = new SamplingOptions { Temperature = 1f, TopK = 1 };
        foreach (float u in new[] { 0f, 0.3f, 0.999999f })
        {
            Assert.That(TokenSampler.Sample(Logits, options, u, scratch), Is.EqualTo(0));
        }
    }

    [Test]
    public void Counter_rng_is_a_pure_function_and_streams_differ()
    {
        ulong[] first = [.. Enumerable.Range(0, 4).Select(i => CounterRng.Next(1, 0, i))];
        ulong[] again = [.. Enumerable.Range(0, 4).Select(i => CounterRng.Next(1, 0, i))];
        Assert.That(again, Is.EqualTo(first));
        Assert.That(CounterRng.Next(1, 0, 5), Is.Not.EqualTo(CounterRng.Next(1, 1, 5)));
        Assert.That(CounterRng.Next(1, 0, 5), Is.Not.EqualTo(CounterRng.Next(2, 0, 5)));
        Assert.That(CounterRng.Next(1, 0, 5), Is.Not.EqualTo(CounterRng.Next(1, 0, 6)));
    }

    [Test]
    public void Counter_rng_uniforms_are_uniform_on_0_1()
    {
        const int N = 200_000, Buckets = 20;
        var counts = new int[Buckets];
        for (int i = 0; i < N; i++)
        {
            float u = CounterRng.Uniform(123, 3, i);
            Assert.That(u, Is.GreaterThanOrEqualTo(0f).And.LessThan(1f));
            counts[(int)(u * Buckets)]++;
        }
        double e = (double)N / Buckets;
        double chi2 = counts.Sum(c => (c - e) * (c - e) / e);
        Assert.That(chi2, Is.LessThan(60), "chi-square over 20 buckets (19 dof; 99.999th percentile ~ 51)");
    }

    [Test]
    public void Invalid_options_are_refused()
    {
        Assert.That(() => new SamplingOptions { Temperature = -1 }, Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new SamplingOptions { Temperature = float.NaN }, Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new SamplingOptions { TopK = -1 }, Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new SamplingOptions { TopP = 0 }, Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new SamplingOptions { TopP = 1.5f }, Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    // 1 / 1e-39 overflows float32, which made every weight NaN or 0 and the sampler return -1: such a temperature is the
    // argmax, the limit of the distribution as T goes to 0.
    [Test]
    public void A_temperature_whose_inverse_overflows_is_the_argmax()
    {
        var options = new SamplingOptions { Temperature = 1e-39f, TopK = 3, TopP = 0.5f };
        Assert.That(options.IsGreedy, Is.True);
        var scratch = new float[2 * Logits.Length];
        for (int n = 0; n < 100; n++)
        {
            Assert.That(TokenSampler.Sample(Logits, options, CounterRng.Uniform(1, 0, n), scratch), Is.EqualTo(0));
        }
        Assert.That(new SamplingOptions { Temperature = 1e-38f }.IsGreedy, Is.False, "1 / 1e-38 is finite: still sampled");
        Assert.That(TokenSampler.Sample(Logits, new SamplingOptions { Temperature = 1e-38f }, 0.99f, scratch), Is.EqualTo(0));
    }

    // Logits without a finite maximum have no distribution: a typed error, greedy or sampled, never an id of -1 or 0.
    [TestCase(float.NaN, 0f)]
    [TestCase(float.NaN, 0.8f)]
    [TestCase(float.PositiveInfinity, 0f)]
    [TestCase(float.PositiveInfinity, 1f)]
    public void Non_finite_logits_are_a_typed_error(float bad, float temperature)
    {
        float[] logits = [.. Logits];
        logits[3] = bad;
        var options = new SamplingOptions { Temperature = temperature };
        Assert.That(() => TokenSampler.Sample(logits, options, 0.5f, new float[2 * logits.Length]), Throws.TypeOf<NonFiniteLogitsException>());
    }

    [Test]
    public void All_negative_infinite_logits_are_a_typed_error()
    {
        float[] logits = [.. Logits.Select(_ => float.NegativeInfinity)];
        Assert.That(() => TokenSampler.Sample(logits, SamplingOptions.Greedy, 0f, new float[2 * logits.Length]), Throws.TypeOf<NonFiniteLogitsException>());
        Assert.That(() => TokenSampler.Sample(logits, new SamplingOptions(), 0.3f, new float[2 * logits.Length]), Throws.TypeOf<NonFiniteLogitsException>());
    }
}
