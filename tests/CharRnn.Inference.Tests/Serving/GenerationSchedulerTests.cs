using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Serving;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Serving;

/// <summary>
/// Continuous batching: many generators in one batch produce exactly the text each would alone (a generator with a
/// session of its own is the reference), whatever arrives, leaves, stalls or fails around them.
/// </summary>
public class GenerationSchedulerTests
{
    private CharRnnModel _model = null!;
    private InferenceEngine _engine = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _model = RandomModels.Model(2, 40, 65, 16, seed: 31, scale: 0.6f);
        _engine = InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cpu });
    }

    [OneTimeTearDown]
    public void TearDown() => _engine.Dispose();

    private static GeneratorOptions Options(int user) => new()
    {
        // Users differ in everything a stream owns: sampling rule, seed, stop strings, chunk size.
        Sampling = (user % 4) switch
        {
            0 => SamplingOptions.Greedy,
            1 => new SamplingOptions { Temperature = 0.8f },
            2 => new SamplingOptions { Temperature = 1.1f, TopK = 12 },
            _ => new SamplingOptions { Temperature = 0.9f, TopK = 30, TopP = 0.9f },
        },
        Seed = (ulong)(1000 + user),
        ChunkSize = 3 + user % 11,
        StopStrings = user % 5 == 0 ? ["e ", "\n\n"] : [],
    };

    private static string Prime(int user) => "ROMEO: JULIET! The king, my lord,\n".Substring(user % 7) + (char)('a' + user % 26);

    private string Alone(int user, int length)
    {
        using var gen = _engine.CreateGenerator(Options(user));
        gen.Prime(Prime(user));
        return gen.Generate(length);
    }

    [Test]
    public async Task Every_stream_gets_its_own_text_with_random_arrivals_and_departures()
    {
        const int Users = 40;
        var rng = new Random(9);
        var lengths = Enumerable.Range(0, Users).Select(_ => rng.Next(5, 120)).ToArray();
        var delays = Enumerable.Range(0, Users).Select(_ => rng.Next(0, 30)).ToArray();
        // Fewer streams than users, so some wait in the queue and take freed slots.
        using var scheduler = new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 7 });

        var texts = await Task.WhenAll(Enumerable.Range(0, Users).Select(user => Task.Run(async () =>
        {
            await Task.Delay(delays[user]);
            using var gen = scheduler.CreateGenerator(Options(user));
            gen.Prime(Prime(user));
            if (user % 2 == 0)
            {
                return gen.Generate(lengths[user]);
            }
            var text = "";
            await foreach (string chunk in gen.GenerateAsync(lengths[user]))
            {
                text += chunk;
            }
            return text;
        })));

        for (int user = 0; user < Users; user++)
        {
            Assert.That(texts[user], Is.EqualTo(Alone(user, lengths[user])), $"user {user}");
        }
    }

    [Test]
    public void A_conversation_continues_across_calls_as_it_would_alone()
    {
        using var scheduler = new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 2 });
        using var shared = scheduler.CreateGenerator(Options(3));
        using var alone = _engine.CreateGenerator(Options(3));
        // Another stream keeps the batch busy meanwhile.
        using var other = scheduler.CreateGenerator(Options(1));
        other.Prime("noise");
        var background = Task.Run(() => other.Generate(3000));
        foreach (var g in new[] { shared, alone })
        {
            g.Prime("First");
        }
        Assert.That(shared.Generate(17), Is.EqualTo(alone.Generate(17)));
        shared.Prime(" Citizen");
        alone.Prime(" Citizen");
        Assert.That(shared.Generate(40), Is.EqualTo(alone.Generate(40)));
        Assert.That(shared.Position, Is.EqualTo(alone.Position));
        background.Wait();
    }

    [Test]
    public async Task Cancelling_one_stream_leaves_it_after_its_yielded_text_and_the_others_untouched()
    {
        using var scheduler = new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 4 });
        using var victim = scheduler.CreateGenerator(Options(2) with { ChunkSize = 4 });
        using var bystander = scheduler.CreateGenerator(Options(6));
        victim.Prime(Prime(2));
        bystander.Prime(Prime(6));
        var others = Task.Run(() => bystander.Generate(400));

        using var cts = new CancellationTokenSource();
        string yielded = "";
        Assert.ThrowsAsync<OperationCanceledException>(async () =>
        {
            await foreach (string chunk in victim.GenerateAsync(1000, cts.Token))
            {
                yielded += chunk;
                if (yielded.Length >= 12)
                {
                    cts.Cancel();
                }
            }
        });
        Assert.That(yielded, Has.Length.EqualTo(12));
        Assert.That(victim.Position, Is.EqualTo(12));
        string next = victim.Generate(30);

        using var reference = _engine.CreateGenerator(Options(2));
        reference.Prime(Prime(2));
        Assert.That(yielded + next, Is.EqualTo(reference.Generate(42)));
        Assert.That(await others, Is.EqualTo(Alone(6, 400)));
    }

    [Test]
    public void A_consumer_that_throws_leaves_the_state_after_what_it_took()
    {
        using var scheduler = new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 2 });
        using var gen = scheduler.CreateGenerator(Options(3) with { ChunkSize = 5 });
        gen.Prime(Prime(3));
        string taken = "";
        Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (string chunk in gen.GenerateAsync(500))
            {
                taken += chunk;
                if (taken.Length == 15)
                {
                    throw new InvalidDataException("the consumer failed");
                }
            }
        });
        string rest = gen.Generate(20);
        using var reference = _engine.CreateGenerator(Options(3));
        reference.Prime(Prime(3));
        Assert.That(taken + rest, Is.EqualTo(reference.Generate(35)));
    }

    [Test]
    public async Task A_slow_reader_does_not_stall_the_others()
    {
        using var scheduler = new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 4, OutputBufferSize = 16 });
        using var slow = scheduler.CreateGenerator(Options(1) with { ChunkSize = 4 });
        using var fast = scheduler.CreateGenerator(Options(5));
        slow.Prime(Prime(1));
        fast.Prime(Prime(5));
        var slowText = "";
        await using var slowReader = slow.GenerateAsync(200).GetAsyncEnumerator();
        Assert.That(await slowReader.MoveNextAsync(), Is.True);
        slowText += slowReader.Current;

        // The slow reader holds its stream at two chunks ahead; the fast one finishes 2,000 characters meanwhile.
        string fastText = await Task.Run(() => fast.Generate(2000)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.That(fastText, Is.EqualTo(Alone(5, 2000)));

        while (await slowReader.MoveNextAsync())
        {
            slowText += slowReader.Current;
        }
        Assert.That(slowText, Is.EqualTo(Alone(1, 200)));
    }

    [Test]
    public void A_stream_parked_on_a_full_buffer_resumes_with_the_same_text()
    {
        // Generate reads as the loop writes; a buffer of 3 characters forces many park-and-resume rounds.
        using var scheduler = new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 3, OutputBufferSize = 3 });
        var texts = Enumerable.Range(0, 6).AsParallel().Select(user =>
        {
            using var gen = scheduler.CreateGenerator(Options(user) with { StopStrings = [] });
            gen.Prime(Prime(user));
            return gen.Generate(300);
        }).ToArray();
        for (int user = 0; user < 6; user++)
        {
            using var alone = _engine.CreateGenerator(Options(user) with { StopStrings = [] });
            alone.Prime(Prime(user));
            Assert.That(texts[user], Is.EqualTo(alone.Generate(300)), $"user {user}");
        }
    }

    [Test]
    public async Task A_stream_whose_logits_have_no_distribution_fails_alone()
    {
        // An engine whose step leaves NaN logits in every stream fed one character (what a device fault or a broken
        // model does to one stream): that stream's call fails with the typed error, the others go on with their own
        // text. The character is one the healthy stream never feeds.
        using var alone = _engine.CreateGenerator(Options(3));
        alone.Prime("ROMEO a");
        string expected = alone.Generate(300);
        char poison = _model.Vocabulary.Characters.First(c => !("ROMEO a" + expected).Contains(c));

        using var engine = new PoisonedLogitsEngine(_engine, _model.Vocabulary.Encode(poison.ToString())[0]);
        using var scheduler = new GenerationScheduler(engine, new SchedulerOptions { MaxStreams = 4 });
        using var sick = scheduler.CreateGenerator(Options(1));
        using var healthy = scheduler.CreateGenerator(Options(3));
        await sick.PrimeAsync("ROMEO " + poison);
        await healthy.PrimeAsync("ROMEO a");
        var healthyText = Task.Run(() => healthy.Generate(300));

        var e = Assert.ThrowsAsync<NonFiniteLogitsException>(async () =>
        {
            await foreach (string _ in sick.GenerateAsync(50))
            {
            }
        });
        Assert.That(e!.Step, Is.Zero, "the first character drawn after the prime");
        Assert.That(sick.Position, Is.Zero);
        Assert.That(await healthyText, Is.EqualTo(expected));
        Assert.That(healthy.Generate(5), Has.Length.EqualTo(5), "the scheduler keeps serving");
    }

    private sealed class PoisonedLogitsEngine(InferenceEngine inner, int poison) : InferenceEngine(inner.Network, inner.Vocabulary)
    {
        public override Backend Backend => inner.Backend;

        public override string DeviceName => inner.DeviceName;

        protected override EngineSession CreateSessionCore(int streams) => new Session(inner.CreateSession(streams), poison);

        // Every stream fed the poison character ends its step with NaN logits (its h and c stay as computed).
        private sealed class Session(EngineSession inner, int poison) : DelegatingSession(inner)
        {
            private readonly float[] _one = new float[inner.StreamStateLength];

            protected override void StepCore(ReadOnlySpan<int> tokens)
            {
                Inner.Step(tokens);
                for (int s = 0; s < tokens.Length; s++)
                {
                    if (tokens[s] == poison)
                    {
                        Inner.SaveStream(s, _one);
                        _one.AsSpan(_one.Length - Dimensions.VocabularySize).Fill(float.NaN);
                        Inner.RestoreStream(s, _one);
                    }
                }
            }

            protected override void ReadLogitsCore(Span<float> destination, int streams) => Inner.ReadLogits(destination, streams);
            protected override void SaveStreamCore(int stream, Span<float> destination) => Inner.SaveStream(stream, destination);
            protected override void RestoreStreamCore(int stream, ReadOnlySpan<float> source) => Inner.RestoreStream(stream, source);
            protected override void CopyStreamCore(int from, int to) => Inner.CopyStream(from, to);
        }
    }

    [Test]
    public void A_full_scheduler_refuses_with_a_typed_exception()
    {
        using var scheduler = new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 1, MaxQueuedRequests = 1, OutputBufferSize = 1 });
        using var a = scheduler.CreateGenerator();
        using var b = scheduler.CreateGenerator();
        using var c = scheduler.CreateGenerator();
        // Long primes keep a in the one stream and b in the queue (a stream waiting on its reader would free its slot).
        var longPrime = new string('e', 200_000);
        var first = Task.Run(() => a.Prime(longPrime));
        SpinWait.SpinUntil(() => scheduler.ActiveStreams == 1, TimeSpan.FromSeconds(10));
        var second = Task.Run(() => b.Prime(longPrime));
        SpinWait.SpinUntil(() => scheduler.QueuedRequests == 1, TimeSpan.FromSeconds(10));
        var e = Assert.Throws<SchedulerFullException>(() => c.Prime("more"));
        Assert.That(e!.Message, Does.Contain("1 streams are busy").And.Contain("MaxQueuedRequests"));
        Task.WaitAll(first, second);
    }

    [Test]
    public void Cancelling_a_long_prime_keeps_the_state_from_before()
    {
        using var scheduler = new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 2 });
        using var gen = scheduler.CreateGenerator();
        gen.Prime("KING");
        using var cts = new CancellationTokenSource();
        var prime = Task.Run(() => gen.Prime(new string('o', 2_000_000), cts.Token));
        Thread.Sleep(50);
        cts.Cancel();
        Assert.That(() => prime.Wait(TimeSpan.FromSeconds(30)), Throws.InstanceOf<AggregateException>()
            .With.InnerException.InstanceOf<OperationCanceledException>());
        using var reference = _engine.CreateGenerator();
        reference.Prime("KING");
        Assert.That(gen.Generate(30), Is.EqualTo(reference.Generate(30)));
    }

    [Test]
    public void Disposing_the_engine_with_streams_in_flight_fails_them_with_a_typed_error()
    {
        var engine = InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cpu });
        using var scheduler = new GenerationScheduler(engine, new SchedulerOptions { MaxStreams = 4 });
        var generators = Enumerable.Range(0, 6).Select(u => scheduler.CreateGenerator(Options(u))).ToArray();
        var calls = generators.Select((g, u) => Task.Run(() =>
        {
            g.Prime(Prime(u));
            return g.Generate(5_000_000);
        })).ToArray();
        SpinWait.SpinUntil(() => scheduler.ActiveStreams > 0, TimeSpan.FromSeconds(10));
        engine.Dispose();
        foreach (var call in calls)
        {
            var e = Assert.Throws<AggregateException>(() => call.Wait(TimeSpan.FromSeconds(30)));
            Assert.That(e!.InnerException, Is.InstanceOf<ObjectDisposedException>());
            Assert.That(e.InnerException!.Message, Does.Contain("engine was disposed"));
        }
        // Prime, not Generate: a generator whose prime the disposal stopped is unprimed, and Generate would refuse it first.
        Assert.That(() => generators[0].Prime("a"), Throws.InstanceOf<ObjectDisposedException>());
        foreach (var g in generators)
        {
            g.Dispose();
        }
    }

    [Test]
    public void Disposing_the_scheduler_fails_waiting_calls_and_refuses_new_generators()
    {
        var scheduler = new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 1 });
        using var gen = scheduler.CreateGenerator();
        gen.Prime("abc");
        var call = Task.Run(() => gen.Generate(10_000_000));
        SpinWait.SpinUntil(() => scheduler.ActiveStreams == 1, TimeSpan.FromSeconds(10));
        scheduler.Dispose();
        var e = Assert.Throws<AggregateException>(() => call.Wait(TimeSpan.FromSeconds(30)));
        Assert.That(e!.InnerException, Is.InstanceOf<ObjectDisposedException>());
        Assert.That(gen.Position, Is.Zero, "the generator keeps the state from before the failed call");
        Assert.That(() => scheduler.CreateGenerator(), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test]
    public void Eight_threads_creating_and_disposing_generators_while_many_streams_run()
    {
        using var scheduler = new GenerationScheduler(_engine, new SchedulerOptions { MaxStreams = 16 });
        using var stop = new CancellationTokenSource();
        var longRunners = Enumerable.Range(0, 8).Select(u => Task.Run(async () =>
        {
            using var gen = scheduler.CreateGenerator(Options(u));
            gen.Prime(Prime(u));
            var text = "";
            await foreach (string chunk in gen.GenerateAsync(1500))
            {
                text += chunk;
            }
            return text;
        })).ToArray();
        var churn = Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            int done = 0;
            for (int i = 0; i < 25; i++)
            {
                int user = 100 + t * 25 + i;
                using var gen = scheduler.CreateGenerator(Options(user));
                gen.Prime(Prime(user));
                string text = gen.Generate(10 + i);
                if (text == Alone(user, 10 + i))
                {
                    done++;
                }
            }
            return done;
        })).ToArray();
        Assert.That(Task.WhenAll(churn).Result, Is.All.EqualTo(25));
        var texts = Task.WhenAll(longRunners).Result;
        for (int u = 0; u < 8; u++)
        {
            Assert.That(texts[u], Is.EqualTo(Alone(u, 1500)), $"user {u}");
        }
        SpinWait.SpinUntil(() => scheduler.ActiveStreams == 0, TimeSpan.FromSeconds(10));
        Assert.That(scheduler.ActiveStreams, Is.Zero, "every slot is free once the calls end");
        Assert.That(scheduler.QueuedRequests, Is.Zero);
    }
}
