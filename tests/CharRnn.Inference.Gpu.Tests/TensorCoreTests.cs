using CharRnn.Inference.Cuda;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Tests;
using CharRnn.Inference.Tests.Cuda;

namespace CharRnn.Inference.Gpu.Tests;

/// <summary>
/// The tensor-core precisions (<see cref="CudaPrecision.Tf32"/>, <see cref="CudaPrecision.Float16"/>,
/// <see cref="CudaPrecision.BFloat16"/>: the many-stream path on tensor cores) against the CPU engine, the float32
/// reference. Only P distinct streams are computed on the CPU; GPU stream s is given the input of CPU stream s % P, so
/// every one of thousands of GPU streams (every tile position) is checked at a small CPU cost, and replicas must agree
/// bit for bit (each output is one fixed-order accumulation, whatever its tile).
/// </summary>
[TestFixtureSource(typeof(CudaRequirement), nameof(CudaRequirement.TensorCoreFixtures))]
[Category("Gpu")]
[NonParallelizable]
public sealed class TensorCoreTests(CudaPrecision precision)
{
    /// <summary>Distinct streams computed on the CPU.</summary>
    private const int DistinctStreams = 64;

    private readonly CudaBackendProvider _provider = new() { Precision = precision };
    private readonly List<InferenceEngine> _engines = [];
    private readonly Dictionary<string, (InferenceEngine Cpu, CudaInferenceEngine Gpu)> _byModel = [];
    private readonly Dictionary<string, CpuGreedyReference> _greedy = [];

    /// <summary>
    /// Bound on the relative logit error ||gpu - cpu|| / ||cpu||. TF32 and FP16 keep 10 explicit mantissa bits, so
    /// rounding an operand to nearest moves it by at most u = 2^-11 (4.9e-4) of itself and a product by at most 2u; the
    /// K rounding errors of a dot product have random signs, so its error is about u * sqrt(2/3) * sqrt(sum of squared
    /// products), about 0.8u (4e-4) of a pre-activation whose terms have random signs. Sigmoid and tanh (slopes at most
    /// 1) and the forget-gated cell do not amplify it, and each layer and the projection add a similar share: about 1e-3
    /// on the logits (the kernel harness measured 2-5e-4 on one layer's h and 1.8e-4 on the projection in TF32). 10u is
    /// a few times that estimate, and 500 times float32's 1e-5 bound, so a wrong fragment mapping or a lost K tile
    /// (errors of order 1) still fails. BF16 keeps 7 bits: u = 2^-8, so the same reasoning gives 10u = 3.9e-2.
    /// </summary>
    private double Tolerance => precision == CudaPrecision.BFloat16 ? 10 * Math.Pow(2, -8) : 10 * Math.Pow(2, -11);

    [OneTimeSetUp]
    public void RequireGpu()
    {
        CudaRequirement.IgnoreUnlessAvailable(_provider);
    }

    [OneTimeTearDown]
    public void DisposeEngines() => _engines.ForEach(e => e.Dispose());

    public static IEnumerable<TestCaseData> LogitCases()
    {
        yield return new TestCaseData(2, 40, 24, 1, 8).SetArgDisplayNames("2x40 emb 24, 1 stream (one row of a tile)");
        yield return new TestCaseData(3, 40, 24, 5, 12).SetArgDisplayNames("3x40 emb 24, 5 streams");
        yield return new TestCaseData(2, 37, 0, 9, 6).SetArgDisplayNames("2x37 one-hot, 9 streams (unaligned widths: element copies)");
        yield return new TestCaseData(2, 512, 512, 64, 8).SetArgDisplayNames("2x512 emb 512, 64 streams");
        yield return new TestCaseData(2, 512, 512, 1000, 6).SetArgDisplayNames("2x512 emb 512, 1000 streams");
        yield return new TestCaseData(2, 512, 512, 4096, 4).SetArgDisplayNames("2x512 emb 512, 4096 streams");
    }

    [TestCaseSource(nameof(LogitCases))]
    public void Logits_are_close_to_the_cpu_engine(int layers, int hidden, int embedding, int streams, int steps) =>
        AssertLogitsNearCpu(layers, hidden, embedding, streams, steps, forcedTile: null);

    public static IEnumerable<TestCaseData> WarpgroupCases()
    {
        // Tile 4: 128 x 128 (two warpgroups), tile 5: 64 x 128 (two side by side), tile 6: the same with the deep ring,
        // tile 7: 128 x 128 with the deep ring. 4 x 37 gates pad to 256 columns, two wgmma column
        // tiles; 37 is no multiple of a 16-byte chunk (8 halves, 4 floats: element copies). 40 is one (the cells are
        // updated from the accumulators, tc_wgmma_cells), but no multiple of 32: its second column tile holds 8 units of
        // 32. 36 and 20 are whole chunks of floats but not of halves: TF32 copies them in chunks, 16-bit operands by
        // element.
        foreach (var (tile, name) in new[] { (4, "128 x 128"), (5, "64 x 128"), (6, "64 x 128, deep ring"), (7, "128 x 128, deep ring") })
        {
            yield return new TestCaseData(tile, 2, 37, 0, 9, 6).SetArgDisplayNames($"{name}: 2x37 one-hot, 9 streams (unaligned widths: element copies)");
            yield return new TestCaseData(tile, 2, 36, 20, 70, 6).SetArgDisplayNames($"{name}: 2x36 emb 20, 70 streams (whole chunks of floats only)");
            yield return new TestCaseData(tile, 2, 40, 24, 305, 6).SetArgDisplayNames($"{name}: 2x40 emb 24, 305 streams (a partial column tile)");
            yield return new TestCaseData(tile, 2, 512, 512, 1000, 6).SetArgDisplayNames($"{name}: 2x512 emb 512, 1000 streams");
            yield return new TestCaseData(tile, 2, 512, 512, 4096 + 77, 4).SetArgDisplayNames($"{name}: 2x512 emb 512, 4173 streams");
        }
    }

    /// <summary>
    /// Each wgmma tile (sm_90a; <paramref name="tile"/> is its ForcedLayerTile index), forced at stream
    /// counts that are no multiple of its rows and at unaligned widths, against the CPU engine with
    /// <see cref="Logits_are_close_to_the_cpu_engine"/>'s bound.
    /// </summary>
    [TestCaseSource(nameof(WarpgroupCases))]
    public void Warpgroup_tile_logits_are_close_to_the_cpu_engine(int tile, int layers, int hidden, int embedding, int streams, int steps) =>
        AssertLogitsNearCpu(layers, hidden, embedding, streams, steps, forcedTile: tile);

    // TensorCoreKernels.ForcedLayerTile's index of the first wgmma tile.
    private const int FirstWarpgroupTileIndex = 4;

    private void AssertLogitsNearCpu(int layers, int hidden, int embedding, int streams, int steps, int? forcedTile)
    {
        var model = SeededModels.Create(layers, hidden, embedding, seed: layers * 1000 + hidden + embedding);
        var (cpu, gpu) = Engines($"seeded {layers}x{hidden}x{embedding}", model);
        Assert.That(gpu.Precision, Is.EqualTo(precision), "the device must have the precision's tensor cores (sm_80+)");
        var tensorCores = gpu.TensorCores!;
        if (forcedTile >= FirstWarpgroupTileIndex && tensorCores.WarpgroupTiles.Count == 0)
        {
            Assert.Ignore($"The wgmma tiles need compute capability 9.0 ({gpu.DeviceName}) and NVRTC 12.0 or newer.");
        }
        int vocab = model.Dimensions.VocabularySize, distinct = Math.Min(streams, DistinctStreams);
        var random = new Random(streams);
        var cpuTokens = Enumerable.Range(0, steps * distinct).Select(_ => random.Next(vocab)).ToArray();
        var expected = new float[steps * distinct * vocab];
        using (var c = cpu.CreateSession(distinct))
        {
            c.Feed(cpuTokens, steps, expected);
        }
        var actual = new float[(long)steps * streams * vocab];
        tensorCores.ForcedLayerTile = forcedTile;
        try
        {
            using var g = ManyStreamSession(gpu, streams);
            g.Feed(Replicate(cpuTokens, steps, distinct, streams), steps, actual);
        }
        finally
        {
            tensorCores.ForcedLayerTile = null;
        }
        double diff = 0, norm = 0;
        for (int t = 0; t < steps; t++)
        {
            for (int s = 0; s < streams; s++)
            {
                var a = actual.AsSpan((int)(((long)t * streams + s) * vocab), vocab);
                var e = expected.AsSpan((t * distinct + s % distinct) * vocab, vocab);
                if (s >= distinct)
                {
                    var first = actual.AsSpan((t * streams + s % distinct) * vocab, vocab);
                    Assert.That(a.SequenceEqual(first), $"step {t}: stream {s} differs from stream {s % distinct}, which has the same input");
                    continue;
                }
                for (int v = 0; v < vocab; v++)
                {
                    Assert.That(float.IsFinite(a[v]), $"step {t} stream {s} logit {v} is {a[v]}");
                    diff += (a[v] - e[v]) * (double)(a[v] - e[v]);
                    norm += e[v] * (double)e[v];
                }
            }
        }
        double relative = Math.Sqrt(diff / norm);
        TestContext.Out.WriteLine($"{model.Dimensions}, {streams} streams, {precision}: relative logit error {relative:E2} (bound {Tolerance:E1})");
        Assert.Multiple(() =>
        {
            Assert.That(relative, Is.LessThan(Tolerance));
            Assert.That(relative, Is.GreaterThan(1e-5), "the operands' rounding must show: an error at float32's level means the float32 kernels ran");
        });
    }

    public static IEnumerable<TestCaseData> GreedyCases()
    {
        foreach (string model in new[] { "checkpoint", "default" })
        {
            foreach (int streams in new[] { 64, 1000, 4096 })
            {
                yield return new TestCaseData(model, streams).SetArgDisplayNames($"{model} model, {streams} streams");
            }
        }
    }

    /// <summary>
    /// Greedy text of the real tensorflow-char-rnn checkpoint (2 x 128) and of the default model (2 x 512) from 64
    /// different primes. The precision moves logits by about a tenth of <see cref="Tolerance"/> relative, so where the
    /// CPU's best two characters are that close the GPU may pick the other one, after which the texts differ. The test reports how many streams agree over the
    /// whole length and where the others part, and requires that every parting happens at such a near tie: the CPU's
    /// logit gap between its pick and the GPU's pick is at most twice the error bound times the step's RMS logit.
    /// </summary>
    [TestCaseSource(nameof(GreedyCases))]
    public void Greedy_text_parts_from_the_cpu_engine_only_at_near_ties(string which, int streams)
    {
        const int primeLength = 24, length = 200;
        var model = which == "checkpoint" ? RealCheckpoint() : TinyShakespeareModel.Instance;
        var (cpu, gpu) = Engines(which, model);
        int vocab = model.Dimensions.VocabularySize;
        if (!_greedy.TryGetValue(which, out var reference))
        {
            reference = CpuGreedyReference.Compute(cpu, model.Vocabulary, primeLength, length);
            _greedy[which] = reference;
        }
        var output = new int[length * streams];
        using (var g = ManyStreamSession(gpu, streams))
        {
            g.Feed(Replicate(reference.Prime, primeLength, DistinctStreams, streams), primeLength);
            g.Generate(length, SamplingOptions.Greedy, 0, 0, output);
        }
        var partings = new List<(int Stream, int Step, double Gap, double Bound)>();
        for (int s = 0; s < streams; s++)
        {
            int r = s % DistinctStreams;
            for (int t = 0; t < length; t++)
            {
                int got = output[t * streams + s];
                if (s >= DistinctStreams)
                {
                    Assert.That(got, Is.EqualTo(output[t * streams + r]), $"stream {s} step {t} differs from stream {r}, which has the same input");
                    continue;
                }
                int want = reference.Tokens[t * DistinctStreams + r];
                if (got != want)
                {
                    var logits = reference.LogitsBefore(t, r);
                    double rms = Math.Sqrt(logits.ToArray().Sum(v => (double)v * v) / vocab);
                    partings.Add((s, t, logits[want] - (double)logits[got], 2 * Tolerance * rms));
                    break;
                }
            }
        }
        TestContext.Out.WriteLine($"{which} model, {streams} streams, {precision}: {DistinctStreams - partings.Count}/{DistinctStreams} distinct streams "
            + $"equal the CPU engine for all {length} characters");
        foreach (var (stream, step, gap, bound) in partings)
        {
            TestContext.Out.WriteLine($"  stream {stream} parts at character {step}: CPU logit gap {gap:E2} (near-tie bound {bound:E2})");
        }
        Assert.That(partings.Where(p => p.Gap > p.Bound).Select(p => $"stream {p.Stream} at {p.Step}: gap {p.Gap:E2} > {p.Bound:E2}"), Is.Empty,
            "the GPU's greedy text may part from the CPU's only at near ties");
    }

    /// <summary>
    /// Greedy generation of many streams on the tensor-core path samples inside the projection (fc_tc_greedy or, where
    /// the device has the shared memory, its deep-ring forms with 16 or 32 rows per block, by batch; from
    /// <see cref="TensorCoreKernels.GreedyProjectionMinStreams"/> streams on, and at every batch where the layers run
    /// early: the wgmma tiles) rather than in sample_batch. Its
    /// tokens must be exactly the argmax (lowest index among equals) of the logits that the plain projection gives for
    /// the same inputs: a second session replays the text one Feed at a time and the host picks from its logits.
    /// </summary>
    [TestCase(8, 2)]     // below GreedyProjectionMinStreams: only where the layers run early
    [TestCase(100, 2)]
    [TestCase(TensorCoreKernels.GreedyProjectionMinStreams, 1)]
    [TestCase(TensorCoreKernels.GreedyProjectionMinStreams + 77, 2)]
    [TestCase(1024 + 77, 2)]
    [TestCase(4096 + 77, 2)]   // 32 rows per block on a 132-multiprocessor card (fc_tc_greedy_deep32, or fc_tc_greedy32 where the layers run early)
    public void Fused_greedy_tokens_are_the_argmax_of_the_logits(int streams, int calls)
    {
        const int primeLength = 6, steps = 24;
        var model = SeededModels.Create(2, 64, 16, seed: 77);
        var (_, gpu) = Engines("fused greedy 2x64x16", model);
        if (streams < gpu.TensorCores!.FusedGreedyMinStreams && !gpu.TensorCores.RunsEarly(streams, gpu.Batch.PaddedN, gpu.Batch.WidestPaddedK))
        {
            Assert.Ignore($"{precision} on {gpu.DeviceName} samples {streams} streams in sample_batch: its layers do not run early");
        }
        int vocab = model.Dimensions.VocabularySize;
        var random = new Random(streams);
        var prime = Enumerable.Range(0, primeLength * streams).Select(_ => random.Next(vocab)).ToArray();
        var generated = new int[steps * streams];
        var generatedLogits = new float[streams * vocab];
        using (var session = ManyStreamSession(gpu, streams))
        {
            session.Feed(prime, primeLength);
            // Several calls: each call's first step samples with sample_batch, the others in the projection.
            int per = steps / calls;
            for (int c = 0; c < calls; c++)
            {
                session.Generate(per, SamplingOptions.Greedy, 0, c * per, generated.AsSpan(c * per * streams, per * streams));
            }
            session.ReadLogits(generatedLogits);
        }
        var replayedLogits = ReplayOnTheHost(gpu, streams, prime, primeLength, generated, "the argmax", (logits, _, _) => ArgMax(logits));
        Assert.That(generatedLogits, Is.EqualTo(replayedLogits), "both projections compute every logit in the same order");
    }

    /// <summary>
    /// Sampled generation of many streams on the tensor-core path samples every step after a call's first in
    /// sample_batch_tc, which overlaps the projection's tail and, on the wgmma tiles, lets the next layer 0 run early.
    /// Its tokens must be exactly what TokenSampler draws from the logits that the device computed for the same inputs:
    /// a second session replays the text one Feed at a time and the host samples from its logits.
    /// </summary>
    [TestCase(8)]
    [TestCase(333)]
    public void Sampled_tokens_follow_the_token_sampler_on_the_device_logits(int streams)
    {
        const int primeLength = 6, steps = 12;
        const ulong seed = 41;
        var model = SeededModels.Create(2, 64, 16, seed: 78);
        var (_, gpu) = Engines("sampled 2x64x16", model);
        int vocab = model.Dimensions.VocabularySize;
        var sampling = new SamplingOptions { Temperature = 0.8f, TopK = 20, TopP = 0.95f };
        var random = new Random(streams);
        var prime = Enumerable.Range(0, primeLength * streams).Select(_ => random.Next(vocab)).ToArray();
        var generated = new int[steps * streams];
        using (var session = ManyStreamSession(gpu, streams))
        {
            session.Feed(prime, primeLength);
            session.Generate(steps, sampling, seed, 0, generated);
        }
        var scratch = new float[2 * vocab];
        ReplayOnTheHost(gpu, streams, prime, primeLength, generated, "TokenSampler's draw",
            (logits, s, t) => TokenSampler.Sample(logits, sampling, CounterRng.Uniform(seed, s, t), scratch));
    }

    // A host rule's token for one stream at one step, from that stream's logits.
    private delegate int HostPick(ReadOnlySpan<float> logits, int stream, int step);

    /// <summary>
    /// Replays the inputs of <paramref name="generated"/> ([steps][streams] tokens that the device drew after the prime)
    /// in a fresh session one Feed at a time: at each step the host picks every stream's token from the device's own
    /// logits with <paramref name="pick"/> (<paramref name="rule"/> in messages), which must be the generated token, and
    /// feeds it. Returns the logits after the last step.
    /// </summary>
    private static float[] ReplayOnTheHost(CudaInferenceEngine gpu, int streams, int[] prime, int primeLength, int[] generated, string rule, HostPick pick)
    {
        int vocab = gpu.Dimensions.VocabularySize, steps = generated.Length / streams;
        var logits = new float[streams * vocab];
        var row = new int[streams];
        using var replay = ManyStreamSession(gpu, streams);
        replay.Feed(prime, primeLength);
        for (int t = 0; t < steps; t++)
        {
            replay.ReadLogits(logits);
            for (int s = 0; s < streams; s++)
            {
                row[s] = pick(logits.AsSpan(s * vocab, vocab), s, t);
                Assert.That(generated[t * streams + s], Is.EqualTo(row[s]), $"step {t} stream {s}: {rule} of the replayed logits");
            }
            replay.Feed(row, 1);
        }
        replay.ReadLogits(logits);
        return logits;
    }

    /// <summary>
    /// Consecutive tensor-core kernels overlap where the device allows (programmatic dependent launch: each one's blocks
    /// start while the previous one finishes, and wait for it before reading its outputs). Any read that slipped
    /// before that wait would see the previous step's values somewhere; the overlapped and the serial launches must give
    /// the same tokens and logits bit for bit, in greedy generation (fused projection), sampled generation and Feed.
    /// </summary>
    [TestCase(4096)]
    [TestCase(1000)]
    [TestCase(768)]    // the deep-ring 128-row tile on a 132-multiprocessor card
    [TestCase(64)]
    public void Overlapped_launches_give_the_results_of_serial_ones(int streams)
    {
        const int primeLength = 5, steps = 12;
        var model = SeededModels.Create(2, 512, 512, seed: 8);
        var (_, gpu) = Engines("overlap 2x512x512", model);
        if (!gpu.Device.SupportsProgrammaticDependentLaunch)
        {
            Assert.Ignore($"{gpu.DeviceName} has no programmatic dependent launch (compute capability 9.0 and a CUDA 12 driver)");
        }
        int vocab = model.Dimensions.VocabularySize;
        var random = new Random(streams);
        var prime = Enumerable.Range(0, primeLength * streams).Select(_ => random.Next(vocab)).ToArray();
        var sampled = new SamplingOptions { Temperature = 0.9f, TopK = 30 };
        (int[] Greedy, int[] Sampled, float[] Logits) Run(bool overlap)
        {
            gpu.ProgrammaticLaunch = overlap;
            try
            {
                var greedy = new int[steps * streams];
                var tokens = new int[steps * streams];
                var logits = new float[(long)primeLength * streams * vocab];
                using var session = ManyStreamSession(gpu, streams);
                session.Feed(prime, primeLength, logits);
                session.Generate(steps, SamplingOptions.Greedy, 0, 0, greedy);
                session.Generate(steps, sampled, 3, 0, tokens);
                return (greedy, tokens, logits);
            }
            finally
            {
                gpu.ProgrammaticLaunch = true;
            }
        }
        var serial = Run(overlap: false);
        var overlapped = Run(overlap: true);
        Assert.Multiple(() =>
        {
            Assert.That(overlapped.Logits, Is.EqualTo(serial.Logits), "Feed's per-step logits");
            Assert.That(overlapped.Greedy, Is.EqualTo(serial.Greedy), "greedy tokens");
            Assert.That(overlapped.Sampled, Is.EqualTo(serial.Sampled), "sampled tokens");
        });
    }

    /// <summary>
    /// Greedy steps on the wgmma tiles multiply each layer's old h before waiting for the kernel before them
    /// (TensorCoreKernels.RunsEarly), in the same K order as launches that wait first. A read of h that came too early
    /// would see the step before's values; tokens and logits must match the waiting launches bit for bit, over two
    /// greedy calls (each call's first step follows sample_batch, the others the greedy projection) and a sampled one
    /// (its steps after the first follow sample_batch_tc).
    /// </summary>
    [TestCase(4096, null)]
    [TestCase(1000, null)]
    [TestCase(2117, null)]
    [TestCase(768, null)]    // the deep-ring 128-row tile on a 132-multiprocessor card
    [TestCase(320, null)]
    [TestCase(100, null)]
    [TestCase(8, null)]
    [TestCase(200, 6)]       // the deep-ring 64-row tile, which the rule takes only for long K
    public void Early_products_give_the_results_of_waiting_ones(int streams, int? tile)
    {
        var model = SeededModels.Create(2, 512, 512, seed: 12);
        var (_, gpu) = Engines("early 2x512x512", model);
        var tensorCores = gpu.TensorCores!;
        if (tile >= FirstWarpgroupTileIndex && tensorCores.WarpgroupTiles.Count == 0)
        {
            Assert.Ignore($"The wgmma tiles need compute capability 9.0 ({gpu.DeviceName}) and NVRTC 12.0 or newer.");
        }
        tensorCores.ForcedLayerTile = tile;
        try
        {
            AssertEarlyProductsMatchWaitingOnes(gpu, model, streams);
        }
        finally
        {
            tensorCores.ForcedLayerTile = null;
        }
    }

    private void AssertEarlyProductsMatchWaitingOnes(CudaInferenceEngine gpu, CharRnnModel model, int streams)
    {
        const int primeLength = 4, steps = 10;
        var tensorCores = gpu.TensorCores!;
        if (!tensorCores.RunsEarly(streams, gpu.Batch.PaddedN, gpu.Batch.WidestPaddedK))
        {
            Assert.Ignore($"{precision} on {gpu.DeviceName} does not run the wgmma tiles at {streams} streams, so no layer runs early");
        }
        int vocab = model.Dimensions.VocabularySize;
        var random = new Random(streams);
        var prime = Enumerable.Range(0, primeLength * streams).Select(_ => random.Next(vocab)).ToArray();
        var sampled = new SamplingOptions { Temperature = 0.9f, TopK = 30, TopP = 0.97f };
        (int[] Tokens, int[] Sampled, float[] Logits) Run(bool early)
        {
            tensorCores.UseEarlyProducts = early;
            // Waiting launches below GreedyProjectionMinStreams would sample in sample_batch: both runs take the fused
            // projection, so that only the early products differ.
            tensorCores.FusedGreedyMinStreams = 1;
            try
            {
                var tokens = new int[steps * streams];
                var logits = new float[streams * vocab];
                using var session = ManyStreamSession(gpu, streams);
                session.Feed(prime, primeLength);
                session.Generate(steps / 2, SamplingOptions.Greedy, 0, 0, tokens.AsSpan(0, steps / 2 * streams));
                session.Generate(steps / 2, SamplingOptions.Greedy, 0, steps / 2, tokens.AsSpan(steps / 2 * streams));
                var sampledTokens = new int[steps * streams];
                session.Generate(steps, sampled, 5, 0, sampledTokens);
                session.ReadLogits(logits);
                return (tokens, sampledTokens, logits);
            }
            finally
            {
                tensorCores.UseEarlyProducts = true;
                tensorCores.FusedGreedyMinStreams = TensorCoreKernels.GreedyProjectionMinStreams;
            }
        }
        var waiting = Run(early: false);
        var early = Run(early: true);
        Assert.Multiple(() =>
        {
            Assert.That(early.Tokens, Is.EqualTo(waiting.Tokens), "greedy tokens");
            Assert.That(early.Sampled, Is.EqualTo(waiting.Sampled), "sampled tokens");
            Assert.That(early.Logits, Is.EqualTo(waiting.Logits), "the last step's logits");
        });
    }

    /// <summary>
    /// A state saved from a many-stream session and restored into a fresh one continues bit for bit as the first
    /// session does. The products read h narrowed to 16 bits or rounded to TF32, which a restore must rebuild from the
    /// float32 h it is given (tc_narrow_h, tc_round_h) exactly as the layers would have written it.
    /// </summary>
    [Test]
    public void A_restored_state_continues_bit_for_bit()
    {
        const int streams = 96, primeLength = 7, steps = 5;
        var model = SeededModels.Create(2, 64, 16, seed: 31);
        var (_, gpu) = Engines("restore 2x64x16", model);
        int vocab = model.Dimensions.VocabularySize;
        var random = new Random(5);
        var prime = Enumerable.Range(0, primeLength * streams).Select(_ => random.Next(vocab)).ToArray();
        var more = Enumerable.Range(0, steps * streams).Select(_ => random.Next(vocab)).ToArray();
        var expected = new float[steps * streams * vocab];
        var actual = new float[expected.Length];
        float[] state;
        using (var first = ManyStreamSession(gpu, streams))
        {
            first.Feed(prime, primeLength);
            state = new float[first.StateLength];
            first.SaveState(state);
            first.Feed(more, steps, expected);
        }
        using (var second = ManyStreamSession(gpu, streams))
        {
            second.Feed(more.AsSpan(0, streams), 1);   // a different state to overwrite
            second.RestoreState(state, hasLogits: true);
            second.Feed(more, steps, actual);
        }
        Assert.That(actual, Is.EqualTo(expected));
    }

    /// <summary>
    /// The layers keep h only as the products read it (every epilogue writes it so), so a restored h becomes that at
    /// once: rounded to TF32 (10 explicit mantissa bits, ties away from zero, in place: tc_round_h, which the wgmma tiles
    /// need, since they read shared memory as it lies), or narrowed to FP16 (10 bits) or BF16 (7 bits), ties to even.
    /// A state saved straight after the restore holds exactly those values, computed here in float64, and the cells
    /// and logits as given. The h values have 23 random mantissa bits, so almost every one of them must move.
    /// </summary>
    [Test]
    public void A_restored_h_is_kept_as_the_operand_the_products_read()
    {
        const int streams = 40;
        var model = SeededModels.Create(2, 48, 16, seed: 47);
        var (_, gpu) = Engines("restore 2x48x16", model);
        int hidden = model.Dimensions.HiddenSize, n = streams * hidden, layers = model.Dimensions.LayerCount;
        var random = new Random(11);
        using var session = ManyStreamSession(gpu, streams);
        var state = new float[session.StateLength];
        for (int i = 0; i < state.Length; i++)
        {
            // Magnitudes in [2^-10, 1): normal numbers in every operand type.
            state[i] = (float)((random.Next(2) == 0 ? -1 : 1) * Math.Pow(2, -10 * random.NextDouble()));
        }
        session.RestoreState(state, hasLogits: true);
        var saved = new float[state.Length];
        session.SaveState(saved);
        var (bits, tiesAway) = precision switch
        {
            CudaPrecision.Tf32 => (10, true),
            CudaPrecision.Float16 => (10, false),
            _ => (7, false),
        };
        int moved = 0;
        for (int k = 0; k < layers; k++)
        {
            int h0 = k * 2 * n;
            for (int i = 0; i < n; i++)
            {
                float expected = RoundToMantissaBits(state[h0 + i], bits, tiesAway);
                Assert.That(saved[h0 + i], Is.EqualTo(expected), $"layer {k} h[{i}] = {state[h0 + i]:R}");
                moved += expected != state[h0 + i] ? 1 : 0;
            }
            Assert.That(saved.AsSpan(h0 + n, n).SequenceEqual(state.AsSpan(h0 + n, n)), $"layer {k}: c must be restored as given");
        }
        Assert.That(saved.AsSpan(layers * 2 * n).SequenceEqual(state.AsSpan(layers * 2 * n)), "the logits must be restored as given");
        Assert.That(moved, Is.GreaterThan(layers * n * 9 / 10), "nearly every random h must change when rounded");
    }

    // x rounded to `bits` explicit mantissa bits (a normal x), in float64: ties away from zero or to an even last bit.
    private static float RoundToMantissaBits(float x, int bits, bool tiesAway)
    {
        double magnitude = Math.Abs((double)x);
        double unit = Math.ScaleB(1.0, Math.ILogB(magnitude) - bits);
        double units = magnitude / unit, whole = Math.Floor(units), fraction = units - whole;
        if (fraction > 0.5 || fraction == 0.5 && (tiesAway || whole % 2 == 1))
        {
            whole += 1;
        }
        return (float)Math.CopySign(whole * unit, x);
    }

    /// <summary>
    /// The drift of the precision on real text: the default model (2 x 512, trained; its weights are float16 values, so
    /// FP16 rounds only h) scores the test split of tiny Shakespeare cut into 64 segments, each one stream from a zero
    /// state, on the CPU engine (float32, the reference) and on the GPU's many-stream path. The test reports the
    /// perplexities, the logits' relative and largest errors and how often the two pick a different most likely
    /// character, and bounds the perplexity's relative change by <see cref="Tolerance"/>: the mean log-likelihood moves by
    /// about the logits' error, which is a tenth of that, while a broken path is off by far more.
    /// </summary>
    [Test]
    public void Test_split_perplexity_stays_near_the_cpu_engine()
    {
        const int streams = 64;
        var model = TinyShakespeareModel.Instance;
        var (cpu, gpu) = Engines("default", model);
        string text = File.ReadAllText(TestData.SharedData("tinyshakespeare.txt"));
        // tensorflow-char-rnn's split: the last 5% after 90% train and 5% validation (docs/MODEL.md).
        string test = text[((int)(text.Length * 0.9) + (int)(text.Length * 0.05))..];
        int steps = test.Length / streams, vocab = model.Dimensions.VocabularySize;
        int[] ids = model.Vocabulary.Encode(test);
        var tokens = new int[steps * streams];
        for (int t = 0; t < steps; t++)
        {
            for (int s = 0; s < streams; s++)
            {
                tokens[t * streams + s] = ids[s * steps + t];
            }
        }
        var expected = new float[(long)steps * streams * vocab];
        var actual = new float[expected.Length];
        using (var c = cpu.CreateSession(streams))
        {
            c.Feed(tokens, steps, expected);
        }
        using (var g = ManyStreamSession(gpu, streams))
        {
            g.Feed(tokens, steps, actual);
        }
        double cpuNll = 0, gpuNll = 0, diff = 0, norm = 0, largest = 0;
        int disagreements = 0, predictions = 0;
        for (int t = 0; t + 1 < steps; t++)
        {
            for (int s = 0; s < streams; s++)
            {
                var e = expected.AsSpan((t * streams + s) * vocab, vocab);
                var a = actual.AsSpan((t * streams + s) * vocab, vocab);
                int next = tokens[(t + 1) * streams + s];
                cpuNll += NegativeLogLikelihood(e, next);
                gpuNll += NegativeLogLikelihood(a, next);
                disagreements += ArgMax(e) != ArgMax(a) ? 1 : 0;
                predictions++;
                for (int v = 0; v < vocab; v++)
                {
                    double d = a[v] - (double)e[v];
                    diff += d * d;
                    norm += e[v] * (double)e[v];
                    largest = Math.Max(largest, Math.Abs(d));
                }
            }
        }
        double cpuPerplexity = Math.Exp(cpuNll / predictions), gpuPerplexity = Math.Exp(gpuNll / predictions);
        double drift = Math.Abs(gpuPerplexity / cpuPerplexity - 1);
        TestContext.Out.WriteLine($"default model, test split as {streams} segments ({predictions} predictions), {precision}: perplexity "
            + $"{gpuPerplexity:F6} vs the CPU's {cpuPerplexity:F6} (relative change {drift:E2}); logits relative error "
            + $"{Math.Sqrt(diff / norm):E2}, largest {largest:E2}; most likely character differs in {disagreements} of {predictions}");
        Assert.That(drift, Is.LessThan(Tolerance));
    }

    private static double NegativeLogLikelihood(ReadOnlySpan<float> logits, int target)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }
        double sum = 0;
        foreach (float v in logits)
        {
            sum += Math.Exp(v - max);
        }
        return max + Math.Log(sum) - logits[target];
    }

    // The first index of the largest value (sample_batch's greedy rule for finite logits).
    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }
        return best;
    }

    private static CharRnnModel RealCheckpoint()
    {
        string dir = TestData.SharedData("tf-char-rnn-shakespeare-128");
        return CharRnnModel.Load(Path.Combine(dir, "model-85340.wts2"), new ModelLoadOptions { VocabularyPath = Path.Combine(dir, "vocab.json") });
    }

    // GPU stream s gets the tokens of stream s % distinct: [steps][distinct] -> [steps][streams].
    private static int[] Replicate(int[] tokens, int steps, int distinct, int streams)
    {
        var result = new int[steps * streams];
        for (int t = 0; t < steps; t++)
        {
            for (int s = 0; s < streams; s++)
            {
                result[t * streams + s] = tokens[t * distinct + s % distinct];
            }
        }
        return result;
    }

    // A session on the many-stream path, whatever the batch: the precision applies only there.
    private static EngineSession ManyStreamSession(CudaInferenceEngine gpu, int streams)
    {
        int saved = gpu.BatchMinStreams;
        gpu.BatchMinStreams = Math.Min(saved, streams);
        try
        {
            var session = gpu.CreateSession(streams);
            Assert.That(((CudaEngineSession)session).ManyStreamPath, Is.True, "the many-stream path must really run");
            return session;
        }
        finally
        {
            gpu.BatchMinStreams = saved;
        }
    }

    private (InferenceEngine Cpu, CudaInferenceEngine Gpu) Engines(string key, CharRnnModel model)
    {
        if (!_byModel.TryGetValue(key, out var pair))
        {
            var cpu = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
            _engines.Add(cpu);
            var gpu = (CudaInferenceEngine)InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [_provider] });
            _engines.Add(gpu);
            pair = (cpu, gpu);
            _byModel[key] = pair;
        }
        return pair;
    }

    /// <summary>
    /// The CPU engine's greedy continuation of <see cref="DistinctStreams"/> primes (24-character slices of
    /// tinyshakespeare.txt), and the logits each character was picked from.
    /// </summary>
    private sealed class CpuGreedyReference
    {
        private readonly float[] _logits;
        private readonly int _vocab;
        private readonly int _primeLength;

        private CpuGreedyReference(int[] prime, int[] tokens, float[] logits, int vocab, int primeLength)
        {
            Prime = prime;
            Tokens = tokens;
            _logits = logits;
            _vocab = vocab;
            _primeLength = primeLength;
        }

        /// <summary>[primeLength][streams] prime tokens.</summary>
        public int[] Prime { get; }

        /// <summary>[length][streams] greedy tokens.</summary>
        public int[] Tokens { get; }

        public static CpuGreedyReference Compute(InferenceEngine cpu, Vocabulary vocabulary, int primeLength, int length)
        {
            const int streams = DistinctStreams;
            string text = File.ReadAllText(TestData.SharedData("tinyshakespeare.txt"));
            var prime = new int[primeLength * streams];
            for (int s = 0; s < streams; s++)
            {
                int[] ids = vocabulary.Encode(text.Substring(s * 9973 % (text.Length - primeLength), primeLength));
                for (int t = 0; t < primeLength; t++)
                {
                    prime[t * streams + s] = ids[t];
                }
            }
            var tokens = new int[length * streams];
            using (var session = cpu.CreateSession(streams))
            {
                session.Feed(prime, primeLength);
                session.Generate(length, SamplingOptions.Greedy, 0, 0, tokens);
            }
            // Replaying prime + text with per-step logits gives the logits each greedy character was picked from.
            int steps = primeLength + length - 1, vocab = cpu.Dimensions.VocabularySize;
            var sequence = prime.Concat(tokens.Take((length - 1) * streams)).ToArray();
            var logits = new float[(long)steps * streams * vocab];
            using (var session = cpu.CreateSession(streams))
            {
                session.Feed(sequence, steps, logits);
            }
            var reference = new CpuGreedyReference(prime, tokens, logits, vocab, primeLength);
            for (int s = 0; s < streams; s++)
            {
                var first = reference.LogitsBefore(0, s);
                Assert.That(tokens[s], Is.EqualTo(first.IndexOf(Max(first))), "the replayed logits are the ones greedy picked from");
            }
            return reference;
        }

        /// <summary>The CPU logits character <paramref name="t"/> of stream <paramref name="s"/> was picked from.</summary>
        public ReadOnlySpan<float> LogitsBefore(int t, int s) =>
            _logits.AsSpan(((_primeLength - 1 + t) * DistinctStreams + s) * _vocab, _vocab);

        private static float Max(ReadOnlySpan<float> values)
        {
            float best = float.NegativeInfinity;
            foreach (float v in values)
            {
                best = Math.Max(best, v);
            }
            return best;
        }
    }
}
