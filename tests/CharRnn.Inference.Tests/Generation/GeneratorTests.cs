using System.Diagnostics;
using System.Diagnostics.Metrics;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Serving;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Generation;

/// <summary>
/// The generator's contract, run twice: generators with a session of their own (the engine's) and generators that share a
/// scheduler's batch. Both must pass the same tests with the same texts.
/// </summary>
[TestFixture(false)]
[TestFixture(true)]
public class GeneratorTests(bool scheduled)
{
    private CharRnnModel _model = null!;
    private InferenceEngine _engine = null!;
    private GenerationScheduler? _scheduler;
    private IGeneratorFactory _generators = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _model = RandomModels.Model(2, 32, 65, 16, seed: 77, scale: 0.6f);
        _engine = InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cpu });
        _scheduler = scheduled ? new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 8 }) : null;
        _generators = (IGeneratorFactory?)_scheduler ?? _engine;
    }

    [OneTimeTearDown]
    public void TearDown()
    {
        _scheduler?.Dispose();
        _engine.Dispose();
    }

    private static readonly GeneratorOptions Sampled = new() { Sampling = new SamplingOptions { Temperature = 0.9f, TopK = 30, TopP = 0.95f }, Seed = 1234 };

    [Test]
    public void Greedy_generation_equals_the_reference_chain()
    {
        using var gen = _generators.CreateGenerator();
        gen.Prime("JULIET:");
        var expected = new TfLstmReference(_model).Greedy(_model.Vocabulary.Encode("JULIET:"), 80);
        Assert.That(gen.Generate(80), Is.EqualTo(_model.Vocabulary.Decode(expected)));
    }

    [Test]
    public void Same_seed_same_text_whatever_the_chunking()
    {
        using var a = _generators.CreateGenerator(Sampled);
        using var b = _generators.CreateGenerator(Sampled with { ChunkSize = 7 });
        a.Prime("ROMEO");
        b.Prime("ROMEO");
        string whole = a.Generate(100);
        string parts = b.Generate(25) + b.Generate(25) + b.Generate(50);
        Assert.That(parts, Is.EqualTo(whole));
        using var c = _generators.CreateGenerator(Sampled with { Seed = 1235 });
        c.Prime("ROMEO");
        Assert.That(c.Generate(100), Is.Not.EqualTo(whole));
    }

    [Test]
    public async Task Streaming_yields_the_same_text_as_generate()
    {
        using var a = _generators.CreateGenerator(Sampled with { ChunkSize = 9 });
        using var b = _generators.CreateGenerator(Sampled);
        a.Prime("The ");
        b.Prime("The ");
        var chunks = new List<string>();
        await foreach (string s in a.GenerateAsync(60))
        {
            chunks.Add(s);
        }
        Assert.That(chunks.Take(chunks.Count - 1).Select(c => c.Length), Is.All.EqualTo(9));
        Assert.That(string.Concat(chunks), Is.EqualTo(b.Generate(60)));
    }

    [Test]
    public void Generate_asks_the_engine_for_long_calls_unless_stop_strings_need_chunk_boundaries()
    {
        // Every engine call is one measurement of charrnn.chars.generated (recorded on the calling thread).
        var calls = new List<long>();
        int thread = Environment.CurrentManagedThreadId;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "CharRnn.Inference" && instrument.Name == "charrnn.chars.generated")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            if (Environment.CurrentManagedThreadId == thread) calls.Add(value);
        });
        listener.Start();

        using var plain = _engine.CreateGenerator(Sampled);
        plain.Prime("ROMEO");
        string text = plain.Generate(5000);
        Assert.That(calls, Is.EqualTo(new long[] { 4096, 904 }), "without stop strings: calls of 4,096 characters");

        calls.Clear();
        // A stop string that never appears (the vocabulary has no \u0001) keeps the 32-character chunks.
        using var stopping = _engine.CreateGenerator(Sampled with { StopStrings = ["\u0001"] });
        stopping.Prime("ROMEO");
        Assert.That(stopping.Generate(5000), Is.EqualTo(text));
        Assert.That(calls, Has.Count.EqualTo(157));
        Assert.That(calls.Take(156), Is.All.EqualTo(32));
        Assert.That(calls.Last(), Is.EqualTo(5000 - 156 * 32));
    }

    [Test]
    public async Task Streaming_memory_does_not_grow_with_the_length()
    {
        // A tiny model, so that a million characters take seconds; stop strings on, so that their window is exercised.
        var tiny = RandomModels.Model(1, 8, 65, null, seed: 3);
        using var engine = InferenceEngine.Create(tiny, new EngineOptions { Backend = Backend.Cpu });
        using var scheduler = scheduled ? new GenerationScheduler(engine, new SchedulerOptions { MaxStreams = 2 }) : null;
        using var gen = ((IGeneratorFactory?)scheduler ?? engine).CreateGenerator(new GeneratorOptions
        {
            Sampling = new SamplingOptions { Temperature = 1f },
            ChunkSize = 4096,
            StopStrings = ["\u0001"],
        });
        gen.Prime("A");
        const int Length = 1_000_000;
        long early = 0, produced = 0;
        await foreach (string chunk in gen.GenerateAsync(Length))
        {
            produced += chunk.Length;
            if (early == 0 && produced >= 100_000)
            {
                early = GC.GetTotalMemory(forceFullCollection: true);
            }
        }
        long late = GC.GetTotalMemory(forceFullCollection: true);
        Assert.That(produced, Is.EqualTo(Length));
        // Keeping the text (two bytes a character) would add about 1.8 MB between the two readings.
        Assert.That(late - early, Is.LessThan(600_000), $"managed heap {early:N0} bytes after 100,000 characters, {late:N0} after {Length:N0}");
    }

    [Test]
    public async Task Every_call_is_one_span_and_steps_are_none()
    {
        var spans = new List<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "CharRnn.Inference",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => { lock (spans) spans.Add(activity.OperationName); },
        };
        ActivitySource.AddActivityListener(listener);
        using var gen = _generators.CreateGenerator(Sampled with { ChunkSize = 4 });
        gen.Prime("ROMEO");
        await gen.PrimeAsync(":");
        gen.Generate(50);
        for (int i = 0; i < 5; i++)
        {
            gen.Step();
        }
        await foreach (string _ in gen.GenerateAsync(30))
        {
        }
        gen.Score("To be");
        Assert.That(spans, Is.EqualTo(new[]
        {
            "charrnn.generator.prime", "charrnn.generator.prime", "charrnn.generator.generate", "charrnn.generator.generate",
            "charrnn.generator.score",
        }));
    }

    [Test]
    public async Task Cancellation_leaves_the_state_after_the_yielded_text()
    {
        using var gen = _generators.CreateGenerator(new GeneratorOptions { ChunkSize = 5 });
        gen.Prime("KING");
        using var cts = new CancellationTokenSource();
        var yielded = "";
        Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (string s in gen.GenerateAsync(100, cts.Token))
            {
                yielded += s;
                if (yielded.Length >= 15) cts.Cancel();
            }
        });
        Assert.That(yielded, Has.Length.EqualTo(15));
        string next = gen.Generate(20);

        using var fresh = _generators.CreateGenerator();
        fresh.Prime("KING" + yielded);
        Assert.That(next, Is.EqualTo(fresh.Generate(20)));
        await Task.CompletedTask;
    }

    [Test]
    public void Snapshot_and_restore_replay_the_same_continuation()
    {
        using var gen = _generators.CreateGenerator(Sampled);
        gen.Prime("First Citizen:");
        var snap = gen.Snapshot();
        string first = gen.Generate(40);
        gen.Restore(snap);
        Assert.That(gen.Generate(40), Is.EqualTo(first));
        Assert.That(snap.Position, Is.Zero);
    }

    [Test]
    public void Reset_returns_to_the_unprimed_zero_state()
    {
        using var gen = _generators.CreateGenerator();
        gen.Prime("abc");
        string first = gen.Generate(30);
        gen.Reset();
        Assert.That(gen.IsPrimed, Is.False);
        Assert.That(() => gen.Generate(1), Throws.InvalidOperationException);
        gen.Prime("abc");
        Assert.That(gen.Generate(30), Is.EqualTo(first));
    }

    [Test]
    public void Stop_string_ends_generation_and_the_state_matches_the_returned_text()
    {
        using var probe = _generators.CreateGenerator();
        probe.Prime("A");
        string free = probe.Generate(200);
        // Use a two-character string the model really produces, starting after position 10 so it spans chunks.
        string stop = free.Substring(12, 2);
        int end = free.IndexOf(stop, StringComparison.Ordinal) + 2;

        using var gen = _generators.CreateGenerator(new GeneratorOptions { StopStrings = [stop], ChunkSize = 4 });
        gen.Prime("A");
        string text = gen.Generate(200);
        Assert.That(text, Is.EqualTo(free[..end]));
        Assert.That(gen.LastStopString, Is.EqualTo(stop));
        Assert.That(gen.Position, Is.EqualTo(end));

        // The state is exactly "after the returned text": a generator without stop strings resumed from it continues
        // the free-running text.
        using var resumed = _generators.CreateGenerator();
        resumed.Restore(gen.Snapshot());
        Assert.That(resumed.Generate(10), Is.EqualTo(free[end..(end + 10)]));
    }

    [Test]
    public void Score_matches_the_float64_reference()
    {
        using var gen = _generators.CreateGenerator();
        const string Text = "To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer";
        var result = gen.Score(Text);
        double expected = new TfLstmReference(_model).LogLikelihood(_model.Vocabulary.Encode(Text));
        Assert.That(result.Predictions, Is.EqualTo(Text.Length - 1));
        Assert.That(result.LogLikelihood, Is.EqualTo(expected).Within(1e-5).Percent);
        Assert.That(result.Perplexity, Is.EqualTo(Math.Exp(-expected / (Text.Length - 1))).Within(1e-5).Percent);
    }

    [Test]
    public void Score_reports_progress_up_to_every_prediction()
    {
        using var gen = _generators.CreateGenerator();
        string text = string.Concat(Enumerable.Repeat("To be, or not to be, that is the question.\n", 60));
        var reports = new List<long>();
        var result = gen.Score(text, new SynchronousProgress(reports.Add));
        Assert.That(reports, Is.Ordered.Ascending);
        Assert.That(reports, Has.Count.GreaterThan(1), "a text longer than one chunk reports more than once");
        Assert.That(reports[^1], Is.EqualTo(result.Predictions));
    }

    private sealed class SynchronousProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }

    [Test]
    public void Unknown_prime_characters_are_listed_skipped_or_replaced()
    {
        using var strict = _generators.CreateGenerator();
        var e = Assert.Throws<VocabularyException>(() => strict.Prime("Caf\u00e9 #1"));
        Assert.That(e!.UnknownCharacters, Is.EqualTo(new[] { new UnknownCharacter('\u00e9', 3), new UnknownCharacter('#', 5), new UnknownCharacter('1', 6) }));
        Assert.That(e.Message, Does.Contain("at 3").And.Contain("'#' at 5"));
        Assert.That(strict.IsPrimed, Is.False);

        using var skip = _generators.CreateGenerator(new GeneratorOptions { UnknownCharacters = UnknownCharacterPolicy.Skip });
        using var clean = _generators.CreateGenerator();
        skip.Prime("Caf\u00e9 #");
        clean.Prime("Caf ");
        Assert.That(skip.Generate(20), Is.EqualTo(clean.Generate(20)));

        using var replace = _generators.CreateGenerator(new GeneratorOptions { UnknownCharacters = UnknownCharacterPolicy.Replace, ReplacementCharacter = ' ' });
        using var spaced = _generators.CreateGenerator();
        replace.Prime("Caf\u00e9#");
        spaced.Prime("Caf  ");
        Assert.That(replace.Generate(20), Is.EqualTo(spaced.Generate(20)));
    }

    [Test]
    public async Task Re_entry_is_refused_with_a_clear_message()
    {
        using var gen = _generators.CreateGenerator(new GeneratorOptions { ChunkSize = 2 });
        gen.Prime("x");
        await using var e = gen.GenerateAsync(10).GetAsyncEnumerator();
        Assert.That(await e.MoveNextAsync(), Is.True);
        var ex = Assert.Throws<InvalidOperationException>(() => gen.Generate(1));
        Assert.That(ex!.Message, Does.Contain("not thread-safe"));
    }

    [Test]
    public void Use_after_dispose_throws()
    {
        var gen = _generators.CreateGenerator();
        gen.Dispose();
        Assert.That(() => gen.Prime("a"), Throws.InstanceOf<ObjectDisposedException>());
    }

    // Softmax weights of +-3e38 (finite) overflow the projection: the logits are infinite or NaN from the first step.
    private static CharRnnModel HugeProjection()
    {
        var weights = RandomModels.Weights(1, 16, 65, 8, seed: 5, scale: 3f);
        return CharRnnModel.FromWeights(new Inference.Weights.WeightSet(weights.Select(t => t.Name == TfVariableNames.SoftmaxWeights
            ? new Inference.Weights.WeightTensor(t.Name, t.Shape, [.. t.Values.ToArray().Select(v => v < 0 ? -3e38f : 3e38f)])
            : t)));
    }

    [Test]
    public void Huge_weights_are_a_typed_error_at_the_first_step_when_generating_and_scoring()
    {
        using var engine = InferenceEngine.Create(HugeProjection(), new EngineOptions { Backend = Backend.Cpu });
        foreach (var options in new[] { new GeneratorOptions(), new GeneratorOptions { Sampling = SamplingOptions.Greedy } })
        {
            using var gen = engine.CreateGenerator(options);
            gen.Prime("ROMEO");
            var e = Assert.Throws<NonFiniteLogitsException>(() => gen.Generate(10));
            Assert.That(e!.Step, Is.EqualTo(0));
            Assert.That(e.Message, Does.Contain("at step 0"));
        }
        using var scorer = engine.CreateGenerator();
        var s = Assert.Throws<NonFiniteLogitsException>(() => scorer.Score("ROMEO"));
        Assert.That(s!.Step, Is.EqualTo(0));
    }

    [Test]
    public void Non_finite_logits_are_reported_at_the_step_they_are_met()
    {
        using var gen = _engine.CreateGenerator(Sampled);
        gen.Prime("ROMEO");
        gen.Generate(10);
        var snapshot = gen.Snapshot();
        // The logits are the state's last floats.
        snapshot.State.AsSpan(snapshot.State.Length - _model.Dimensions.VocabularySize).Fill(float.NaN);
        gen.Restore(snapshot);
        var e = Assert.Throws<NonFiniteLogitsException>(() => gen.Generate(5));
        Assert.That(e!.Step, Is.EqualTo(10));
    }
}
