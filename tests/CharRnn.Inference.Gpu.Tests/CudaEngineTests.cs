using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests.Cuda;
using CharRnn.Inference.Tests.Weights;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Gpu.Tests;

/// <summary>
/// The CUDA engine against the CPU engine (the numerical reference). Runs on the GPU machine; elsewhere (CI) every
/// test is ignored with the provider's exact reason.
/// </summary>
[TestFixtureSource(typeof(CudaRequirement), nameof(CudaRequirement.Fixtures))]
[Category("Gpu")]
[NonParallelizable]
public sealed class CudaEngineTests
{
    private const string Prime = "ROMEO:\nWhat say you, my lord? I had thought to see thee here.";
    private static readonly SamplingOptions Sampled = new() { Temperature = 0.8f, TopK = 20, TopP = 0.95f };

    private readonly CudaBackendProvider _provider = new();
    private readonly Dictionary<string, (CharRnnModel Model, InferenceEngine Cpu, InferenceEngine Gpu)> _engines = [];

    public static IEnumerable<TestCaseData> Shapes()
    {
        yield return new TestCaseData(3, 40, 24).SetArgDisplayNames("3x40 emb 24");
        yield return new TestCaseData(2, 128, 0).SetArgDisplayNames("2x128 one-hot");
        yield return new TestCaseData(2, 512, 512).SetArgDisplayNames("2x512 emb 512");
    }

    [OneTimeSetUp]
    public void RequireGpu()
    {
        var diagnostics = CudaRequirement.IgnoreUnlessAvailable(_provider);
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, diagnostics));
    }

    [OneTimeTearDown]
    public void DisposeEngines()
    {
        foreach (var (_, cpu, gpu) in _engines.Values)
        {
            cpu.Dispose();
            gpu.Dispose();
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void Logits_after_feed_match_the_cpu_engine(int layers, int hidden, int embedding)
    {
        var (model, cpu, gpu) = Engines(layers, hidden, embedding);
        int vocab = model.Dimensions.VocabularySize;
        int[] ids = model.Vocabulary.Encode(Prime);
        var expected = new float[ids.Length * vocab];
        var actual = new float[ids.Length * vocab];
        using (var c = cpu.CreateSession())
        {
            c.Feed(ids, ids.Length, expected);
        }
        using (var g = gpu.CreateSession())
        {
            g.Feed(ids, ids.Length, actual);
            var last = new float[vocab];
            g.ReadLogits(last);
            Assert.That(last, Is.EqualTo(actual[^vocab..]), "ReadLogits returns the last step's logits");
        }
        double worst = 0;
        for (int t = 0; t < ids.Length; t++)
        {
            double diff = 0, norm = 0;
            for (int v = 0; v < vocab; v++)
            {
                double e = expected[t * vocab + v], a = actual[t * vocab + v];
                Assert.That(double.IsFinite(a), $"step {t} logit {v} is {a}");
                diff += (a - e) * (a - e);
                norm += e * e;
            }
            worst = Math.Max(worst, Math.Sqrt(diff / Math.Max(norm, 1e-30)));
        }
        TestContext.Out.WriteLine($"{model.Dimensions}: worst relative logit error over {ids.Length} steps = {worst:E2}");
        Assert.That(worst, Is.LessThan(1e-5));
    }

    [TestCaseSource(nameof(Shapes))]
    public void Greedy_text_equals_the_cpu_engine_for_200_characters(int layers, int hidden, int embedding)
    {
        var (_, cpu, gpu) = Engines(layers, hidden, embedding);
        Assert.That(gpu.Backend, Is.EqualTo(Backend.Cuda));
        string expected = GenerateText(cpu, SamplingOptions.Greedy, 7, 200);
        string actual = GenerateText(gpu, SamplingOptions.Greedy, 7, 200);
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public void Sampled_text_is_identical_across_runs_and_chunkings()
    {
        var (_, cpu, gpu) = Engines(2, 512, 512);
        string once = GenerateText(gpu, Sampled, 7, 100, chunkSize: 100);
        string again = GenerateText(gpu, Sampled, 7, 100, chunkSize: 100);
        string chunked = GenerateText(gpu, Sampled, 7, 100, chunkSize: 25);
        string otherSeed = GenerateText(gpu, Sampled, 8, 100, chunkSize: 100);
        Assert.Multiple(() =>
        {
            Assert.That(again, Is.EqualTo(once));
            Assert.That(chunked, Is.EqualTo(once));
            Assert.That(otherSeed, Is.Not.EqualTo(once), "the seed must matter");
        });
        string cpuText = GenerateText(cpu, Sampled, 7, 100, chunkSize: 100);
        TestContext.Out.WriteLine($"GPU sampled: {once}");
        TestContext.Out.WriteLine($"CPU sampled: {cpuText}");
        if (cpuText != once)
        {
            Assert.Warn("Sampled text differs from the CPU engine's (expf rounding can move a draw across a boundary).");
        }
    }

    [Test]
    public void A_batch_of_64_streams_equals_64_single_stream_runs([Values] bool greedy)
    {
        var (model, _, gpu) = Engines(2, 128, 0);
        const int streams = 64, primeLength = 12, steps = 40;
        var sampling = greedy ? SamplingOptions.Greedy : Sampled;
        var random = new Random(3);
        var primes = new int[streams][];
        for (int s = 0; s < streams; s++)
        {
            primes[s] = [.. Enumerable.Range(0, primeLength).Select(_ => random.Next(model.Dimensions.VocabularySize))];
        }
        var batchTokens = new int[primeLength * streams];
        for (int t = 0; t < primeLength; t++)
        {
            for (int s = 0; s < streams; s++)
            {
                batchTokens[t * streams + s] = primes[s][t];
            }
        }
        var batchOut = new int[steps * streams];
        using (var batch = gpu.CreateSession(streams))
        {
            batch.Feed(batchTokens, primeLength);
            batch.Generate(steps, sampling, 11, 0, batchOut);
        }
        for (int s = 0; s < streams; s++)
        {
            // Stream s of the batch draws with stream index s; a single-stream session uses index 0, so compare the
            // sampled case through a one-stream session only where the index coincides, and greedy everywhere.
            if (!greedy && s != 0)
            {
                continue;
            }
            using var single = gpu.CreateSession(1);
            single.Feed(primes[s], primeLength);
            var singleOut = new int[steps];
            single.Generate(steps, sampling, 11, 0, singleOut);
            var column = Enumerable.Range(0, steps).Select(t => batchOut[t * streams + s]).ToArray();
            Assert.That(column, Is.EqualTo(singleOut), $"stream {s}");
        }
    }

    [Test]
    public void A_batch_of_64_streams_gives_the_cpu_engine_logits()
    {
        var (model, cpu, gpu) = Engines(2, 128, 0);
        const int streams = 64, steps = 20;
        var random = new Random(5);
        var tokens = Enumerable.Range(0, steps * streams).Select(_ => random.Next(model.Dimensions.VocabularySize)).ToArray();
        int vocab = model.Dimensions.VocabularySize;
        var expected = new float[steps * streams * vocab];
        var actual = new float[steps * streams * vocab];
        using (var c = cpu.CreateSession(streams))
        {
            c.Feed(tokens, steps, expected);
        }
        using (var g = gpu.CreateSession(streams))
        {
            g.Feed(tokens, steps, actual);
        }
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (double)(actual[i] - expected[i]);
            norm += expected[i] * (double)expected[i];
        }
        Assert.That(Math.Sqrt(diff / norm), Is.LessThan(1e-5));
    }

    public static IEnumerable<TestCaseData> ManyStreamCases()
    {
        yield return new TestCaseData(3, 40, 24, 5, 12).SetArgDisplayNames("3x40 emb 24, 5 streams (unaligned widths)");
        yield return new TestCaseData(2, 37, 0, 9, 6).SetArgDisplayNames("2x37 one-hot, 9 streams (scalar loads)");
        yield return new TestCaseData(2, 128, 0, 200, 8).SetArgDisplayNames("2x128 one-hot, 200 streams (32-wide tiles)");
        yield return new TestCaseData(2, 512, 512, 1030, 3).SetArgDisplayNames("2x512 emb 512, 1030 streams (128-wide tiles)");
    }

    [TestCaseSource(nameof(ManyStreamCases))]
    public void The_many_stream_path_gives_the_cpu_engine_logits_and_greedy_text(int layers, int hidden, int embedding, int streams, int steps)
    {
        var (model, cpu, gpu) = Engines(layers, hidden, embedding);
        var cuda = (CudaInferenceEngine)gpu;
        int vocab = model.Dimensions.VocabularySize;
        var random = new Random(streams);
        var tokens = Enumerable.Range(0, steps * streams).Select(_ => random.Next(vocab)).ToArray();
        var expected = new float[steps * streams * vocab];
        var actual = new float[steps * streams * vocab];
        int generated = 2 * steps;
        var expectedText = new int[generated * streams];
        var actualText = new int[generated * streams];
        using (var c = cpu.CreateSession(streams))
        {
            c.Feed(tokens, steps, expected);
            c.Generate(generated, SamplingOptions.Greedy, 0, 0, expectedText);
        }
        int saved = cuda.BatchMinStreams;
        cuda.BatchMinStreams = streams;
        try
        {
            using var g = gpu.CreateSession(streams);
            Assert.That(((CudaEngineSession)g).ManyStreamPath, Is.True, "the many-stream path must really run");
            g.Feed(tokens, steps, actual);
            g.Generate(generated, SamplingOptions.Greedy, 0, 0, actualText);
        }
        finally
        {
            cuda.BatchMinStreams = saved;
        }
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(float.IsFinite(actual[i]), $"logit {i} is {actual[i]}");
            diff += (actual[i] - expected[i]) * (double)(actual[i] - expected[i]);
            norm += expected[i] * (double)expected[i];
        }
        double relative = Math.Sqrt(diff / norm);
        TestContext.Out.WriteLine($"{model.Dimensions}, {streams} streams: relative logit error {relative:E2}");
        Assert.Multiple(() =>
        {
            Assert.That(relative, Is.LessThan(1e-5));
            Assert.That(actualText, Is.EqualTo(expectedText), "greedy tokens");
        });
    }

    public static IEnumerable<TestCaseData> FewStreamCases()
    {
        yield return new TestCaseData(2, 512, 512, 1, true).SetArgDisplayNames("2x512 emb 512, 1 stream, resident");
        yield return new TestCaseData(2, 512, 512, 4, true).SetArgDisplayNames("2x512 emb 512, 4 streams, resident");
        yield return new TestCaseData(2, 512, 512, 3, false).SetArgDisplayNames("2x512 emb 512, 3 streams, persistent");
        yield return new TestCaseData(2, 128, 0, 3, true).SetArgDisplayNames("2x128 one-hot, 3 streams, resident");
        yield return new TestCaseData(1, 64, 16, 2, true).SetArgDisplayNames("1x64 emb 16, 2 streams, resident (one layer)");
        yield return new TestCaseData(1, 64, 16, 1, true).SetArgDisplayNames("1x64 emb 16, 1 stream, resident (one layer)");
        yield return new TestCaseData(3, 96, 8, 3, true).SetArgDisplayNames("3x96 emb 8, 3 streams, resident (three layers)");
    }

    [TestCaseSource(nameof(FewStreamCases))]
    public void Each_few_stream_kernel_gives_the_cpu_engine_logits_and_greedy_text(int layers, int hidden, int embedding, int streams, bool resident)
    {
        var (model, cpu, gpu) = Engines(layers, hidden, embedding);
        var cuda = (CudaInferenceEngine)gpu;
        int vocab = model.Dimensions.VocabularySize;
        const int steps = 30, generated = 120;
        var random = new Random(streams * 31 + hidden);
        var tokens = Enumerable.Range(0, steps * streams).Select(_ => random.Next(vocab)).ToArray();
        var expected = new float[steps * streams * vocab];
        var actual = new float[steps * streams * vocab];
        var expectedText = new int[generated * streams];
        var actualText = new int[generated * streams];
        var expectedLast = new float[streams * vocab];
        var actualLast = new float[streams * vocab];
        using (var c = cpu.CreateSession(streams))
        {
            c.Feed(tokens, steps, expected);
            c.Generate(generated, SamplingOptions.Greedy, 0, 0, expectedText);
            c.ReadLogits(expectedLast);
        }
        int saved = cuda.ResidentMaxStreams;
        cuda.ResidentMaxStreams = resident ? streams : 0;
        try
        {
            using var g = gpu.CreateSession(streams);
            Assert.That(((CudaEngineSession)g).ResidentPath, Is.EqualTo(resident), $"the {(resident ? "resident" : "persistent")} kernel must really run ({cuda.Configuration})");
            // The prime in two calls: the second launch starts from the state the first one left.
            g.Feed(tokens.AsSpan(0, 10 * streams), 10, actual.AsSpan(0, 10 * streams * vocab));
            g.Feed(tokens.AsSpan(10 * streams), steps - 10, actual.AsSpan(10 * streams * vocab));
            // Generation in chunks of odd lengths: the h buffer parity and the exchange epochs carry over between launches.
            for (int done = 0; done < generated; done += 37)
            {
                int n = Math.Min(37, generated - done);
                var chunk = new int[n * streams];
                g.Generate(n, SamplingOptions.Greedy, 0, done, chunk);
                chunk.CopyTo(actualText, done * streams);
            }
            g.ReadLogits(actualLast);
        }
        finally
        {
            cuda.ResidentMaxStreams = saved;
        }
        double relative = RelativeError(expected, actual), lastRelative = RelativeError(expectedLast, actualLast);
        TestContext.Out.WriteLine($"{model.Dimensions}, {streams} streams: relative logit error {relative:E2} after the prime, {lastRelative:E2} after generating");
        Assert.Multiple(() =>
        {
            Assert.That(relative, Is.LessThan(1e-5));
            Assert.That(actualText, Is.EqualTo(expectedText), "greedy tokens");
            Assert.That(lastRelative, Is.LessThan(1e-5), "logits after the last generated step");
        });
    }

    public static IEnumerable<TestCaseData> SampledStepCases()
    {
        yield return new TestCaseData(2, 512, 512, 1, true).SetArgDisplayNames("2x512 emb 512, 1 stream, resident");
        yield return new TestCaseData(2, 128, 0, 3, true).SetArgDisplayNames("2x128 one-hot, 3 streams, resident");
        yield return new TestCaseData(2, 512, 512, 3, false).SetArgDisplayNames("2x512 emb 512, 3 streams, persistent");
    }

    // The in-kernel sampler against TokenSampler on the kernel's own logits, one step per launch so that every step's
    // logits can be read back: the tokens must be equal, not merely close (the CPU engine's logits differ in the last
    // bits, so only the device's own logits make an exact reference).
    [TestCaseSource(nameof(SampledStepCases))]
    public void Each_few_stream_kernel_samples_its_logits_by_the_token_sampler_rule(int layers, int hidden, int embedding, int streams, bool resident)
    {
        SamplingOptions[] samplings =
        [
            Sampled,
            new() { Temperature = 1f },
            new() { Temperature = 0.5f, TopP = 0.9f },
            new() { Temperature = 1.3f, TopK = 5 },
            new() { Temperature = 2f, TopK = 1 },
            new() { Temperature = 0.7f, TopK = 40, TopP = 0.99f },
        ];
        var (model, _, gpu) = Engines(layers, hidden, embedding);
        var cuda = (CudaInferenceEngine)gpu;
        int vocab = model.Dimensions.VocabularySize;
        const int steps = 60;
        const ulong seed = 23;
        int saved = cuda.ResidentMaxStreams;
        cuda.ResidentMaxStreams = resident ? streams : 0;
        try
        {
            using var g = gpu.CreateSession(streams);
            Assert.That(((CudaEngineSession)g).ResidentPath, Is.EqualTo(resident), $"the {(resident ? "resident" : "persistent")} kernel must really run ({cuda.Configuration})");
            var random = new Random(streams + hidden);
            g.Feed([.. Enumerable.Range(0, 5 * streams).Select(_ => random.Next(vocab))], 5);
            var logits = new float[streams * vocab];
            var scratch = new float[2 * vocab];
            var expected = new int[streams];
            var actual = new int[streams];
            for (int t = 0; t < steps; t++)
            {
                var sampling = samplings[t % samplings.Length];
                g.ReadLogits(logits);
                for (int s = 0; s < streams; s++)
                {
                    expected[s] = TokenSampler.Sample(logits.AsSpan(s * vocab, vocab), sampling, CounterRng.Uniform(seed, s, t), scratch);
                }
                g.Generate(1, sampling, seed, t, actual);
                Assert.That(actual, Is.EqualTo(expected), $"step {t}, {sampling}");
            }
        }
        finally
        {
            cuda.ResidentMaxStreams = saved;
        }
    }

    [TestCase(3, 40, 24)]
    [TestCase(2, 128, 0)]
    public void Save_and_restore_state_round_trip(int layers, int hidden, int embedding)
    {
        var (model, _, gpu) = Engines(layers, hidden, embedding);
        using var generator = gpu.CreateGenerator(new GeneratorOptions { Sampling = Sampled, Seed = 9 });
        generator.Prime("JULIET:\n");
        var snapshot = generator.Snapshot();
        string first = generator.Generate(60);
        generator.Restore(snapshot);
        string second = generator.Generate(60);
        Assert.That(second, Is.EqualTo(first));

        using var session = gpu.CreateSession(3);
        session.Feed(model.Vocabulary.Encode("abcdefghi"), 3);
        var state = new float[session.StateLength];
        session.SaveState(state);
        session.Feed(model.Vocabulary.Encode("xyz"), 1);
        session.RestoreState(state, hasLogits: true);
        var again = new float[session.StateLength];
        session.SaveState(again);
        Assert.That(again, Is.EqualTo(state));
        Assert.That(state.Any(v => v != 0f), "the saved state is not all zeros");
    }

    [Test]
    public void Backend_cuda_is_used_when_named_and_picked_by_auto()
    {
        var model = SeededModels.Create(2, 64, 16, seed: 1);
        using var named = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [_provider] });
        using var auto = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Auto, Providers = [_provider] });
        Assert.Multiple(() =>
        {
            Assert.That(named.Backend, Is.EqualTo(Backend.Cuda));
            Assert.That(auto.Backend, Is.EqualTo(Backend.Cuda));
            Assert.That(named.DeviceName, Does.Contain("sm_"));
        });
        TestContext.Out.WriteLine($"{named.DeviceName}: {((CudaInferenceEngine)named).Configuration}");
    }

    [Test]
    public void The_compiled_kernel_is_cached_on_disk()
    {
        Engines(2, 64, 0);
        var entries = Directory.Exists(CubinCache.DefaultDirectory()) ? Directory.GetFiles(CubinCache.DefaultDirectory(), "*.cubin") : [];
        Assert.That(entries, Is.Not.Empty, CubinCache.DefaultDirectory());
        foreach (string entry in entries)
        {
            Assert.That(CubinCache.TryRead(entry, out var cubin, out string reason), reason);
            Assert.That(cubin, Is.Not.Empty);
        }
    }

    [Test]
    public void An_empty_cache_gets_every_kernel_group_compiled_once_and_serves_the_next_engine()
    {
        string? saved = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var cache = Directory.CreateTempSubdirectory("charrnn-cache-test");
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", cache.FullName);
        try
        {
            var model = SeededModels.Create(2, 64, 0, seed: 2064);
            var (first, resident) = BuildLogged(model);
            var (second, _) = BuildLogged(model);
            string[] groups = ["Persistent", "Tiled", "Sampler", .. resident ? new[] { "Resident1", "Resident1Greedy", "Resident1Sampled", "Resident4" } : []];
            // With a resident kernel lstm_run compiles in the background: two compiles, each group in one of them.
            var compiled = first.Where(e => e.Id.Id == 2002)
                .SelectMany(e => groups.Where(g => e.Message.Contains($" {g} (sm_", StringComparison.Ordinal))).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(first.Count(e => e.Id.Id == 2002), Is.EqualTo(resident ? 2 : 1));
                Assert.That(compiled, Is.EquivalentTo(groups), "every group compiled once");
                Assert.That(Directory.GetFiles(Path.Combine(cache.FullName, "charrnn", "cubin"), "*.cubin"), Has.Length.EqualTo(groups.Length));
                Assert.That(second.Count(e => e.Id.Id == 2002), Is.Zero, "nothing compiled the second time");
                Assert.That(second.Count(e => e.Id.Id == 2001), Is.EqualTo(groups.Length), "every group from the cache");
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", saved);
            cache.Delete(recursive: true);
        }
    }

    // Builds an engine with its log kept, and has it load lstm_run (which may compile in the background).
    private (List<(LogLevel Level, EventId Id, string Message)> Entries, bool Resident) BuildLogged(CharRnnModel model)
    {
        var logs = new ListLoggerFactory();
        using var engine = (CudaInferenceEngine)InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [_provider], LoggerFactory = logs });
        _ = engine.Kernel;
        return (logs.Logger.Entries, engine.Resident is not null);
    }

    private sealed class ListLoggerFactory : ILoggerFactory
    {
        public ListLogger Logger { get; } = new();

        public ILogger CreateLogger(string categoryName) => Logger;

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose()
        {
        }
    }

    [Test]
    public void Device_memory_returns_to_its_level_after_1000_generators()
    {
        var (_, _, gpu) = Engines(2, 128, 0);
        var cuda = (CudaInferenceEngine)gpu;
        using (var warm = gpu.CreateGenerator())
        {
            warm.Prime("ab");
            warm.Generate(2);
        }
        long before = cuda.GetMemoryInfo().Free;
        for (int i = 0; i < 1000; i++)
        {
            using var generator = gpu.CreateGenerator();
            generator.Prime("ab");
            generator.Generate(2);
        }
        long after = cuda.GetMemoryInfo().Free;
        TestContext.Out.WriteLine($"free before {before}, after {after}");
        Assert.That(before - after, Is.LessThanOrEqualTo(2L << 20), "at most 2 MiB of drift");
    }

    [Test]
    public void Eight_threads_sharing_an_engine_give_the_serial_texts()
    {
        var (_, _, gpu) = Engines(2, 128, 0);
        var serial = Enumerable.Range(0, 8).Select(i => GenerateText(gpu, Sampled, (ulong)i, 80)).ToArray();
        var parallel = new string[8];
        var threads = Enumerable.Range(0, 8).Select(i => new Thread(() => parallel[i] = GenerateText(gpu, Sampled, (ulong)i, 80))).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        Assert.That(parallel, Is.EqualTo(serial));
    }

    [Test]
    public void An_absurd_batch_gives_a_typed_error_and_the_engine_still_works()
    {
        var (_, cpu, gpu) = Engines(2, 128, 0);
        var error = Assert.Catch<CharRnnException>(() => gpu.CreateSession(1 << 30).Dispose());
        TestContext.Out.WriteLine(error!.Message);
        Assert.That(GenerateText(gpu, SamplingOptions.Greedy, 0, 50), Is.EqualTo(GenerateText(cpu, SamplingOptions.Greedy, 0, 50)));
    }

    [Test]
    public void A_session_outliving_its_engine_throws_instead_of_launching()
    {
        var model = SeededModels.Create(1, 16, 8, seed: 4);
        var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [_provider] });
        using var session = engine.CreateSession();
        session.Feed([1, 2, 3], 3);
        engine.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Feed([1], 1));
    }

    // Softmax weights of +-3e38 make every logit infinite or NaN: the kernels report TOKEN_NONFINITE in the output row
    // and the host throws at the step the CPU engine names, greedy (resident and tensor-core builds) and sampled.
    [TestCase(1, 0f)]
    [TestCase(1, 0.8f)]
    [TestCase(64, 0f)]
    [TestCase(64, 0.8f)]
    public void Non_finite_logits_are_a_typed_error_at_the_cpu_engines_step(int streams, float temperature)
    {
        var seeded = SeededModels.Create(1, 64, 0, seed: 9, scale: 3f);
        var model = CharRnnModel.FromWeights(new Weights.WeightSet(seeded.Weights.Select(t => t.Name == TfVariableNames.SoftmaxWeights
            ? new Weights.WeightTensor(t.Name, t.Shape, [.. t.Values.ToArray().Select(v => v < 0 ? -3e38f : 3e38f)])
            : t)));
        using var gpu = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [_provider] });
        Assert.That(gpu.Backend, Is.EqualTo(Backend.Cuda), "the GPU path must really run");
        using var session = gpu.CreateSession(streams);
        session.Feed(new int[streams], 1);
        var e = Assert.Throws<NonFiniteLogitsException>(() =>
            session.Generate(8, new SamplingOptions { Temperature = temperature }, 1, 0, new int[8 * streams]));
        Assert.That(e!.Step, Is.EqualTo(0));
    }

    private (CharRnnModel Model, InferenceEngine Cpu, InferenceEngine Gpu) Engines(int layers, int hidden, int embedding)
    {
        string key = $"{layers}x{hidden}x{embedding}";
        if (!_engines.TryGetValue(key, out var entry))
        {
            var model = SeededModels.Create(layers, hidden, embedding, seed: layers * 1000 + hidden + embedding);
            var cpu = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
            var gpu = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [_provider] });
            Assert.That(gpu.Backend, Is.EqualTo(Backend.Cuda), "the GPU path must really run");
            entry = (model, cpu, gpu);
            _engines[key] = entry;
        }
        return entry;
    }

    private static double RelativeError(float[] expected, float[] actual)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.That(float.IsFinite(actual[i]), $"value {i} is {actual[i]}");
            diff += (actual[i] - expected[i]) * (double)(actual[i] - expected[i]);
            norm += expected[i] * (double)expected[i];
        }
        return Math.Sqrt(diff / norm);
    }

    private static string GenerateText(InferenceEngine engine, SamplingOptions sampling, ulong seed, int length, int chunkSize = 64)
    {
        using var generator = engine.CreateGenerator(new GeneratorOptions { Sampling = sampling, Seed = seed, ChunkSize = chunkSize });
        generator.Prime(Prime);
        return generator.Generate(length);
    }
}
