using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Serving;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Serving;

/// <summary>
/// A pool of CPU engines standing in for the GPUs of a host: placement by free capacity, drains and device failures, with
/// every conversation's text checked against the same conversation on an engine of its own (nothing lost or repeated).
/// </summary>
public class EnginePoolTests
{
    private CharRnnModel _model = null!;
    private InferenceEngine _alone = null!;

    [OneTimeSetUp]
    public void SetUp()
    {
        _model = RandomModels.Model(2, 40, 65, 16, seed: 31, scale: 0.6f);
        _alone = InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cpu });
    }

    [OneTimeTearDown]
    public void TearDown() => _alone.Dispose();

    private static GeneratorOptions Options(int user) => new()
    {
        Sampling = (user % 3) switch
        {
            0 => SamplingOptions.Greedy,
            1 => new SamplingOptions { Temperature = 0.9f, TopK = 20 },
            _ => new SamplingOptions { Temperature = 1.1f, TopP = 0.9f },
        },
        Seed = (ulong)(500 + user),
        ChunkSize = 4 + user % 5,
    };

    private static string Prime(int user) => "ROMEO: the king, my lord!\n".Substring(user % 9);

    private string Alone(int user, int length)
    {
        using var generator = _alone.CreateGenerator(Options(user));
        generator.Prime(Prime(user));
        return generator.Generate(length);
    }

    private Func<InferenceEngine> Cpu => () => InferenceEngine.Create(_model, new EngineOptions { Backend = Backend.Cpu });

    private EnginePool Pool(params Func<InferenceEngine>[] devices) =>
        new(new EnginePoolOptions { Devices = devices, StreamsPerDevice = 4 });

    [Test]
    public void New_conversations_go_to_the_device_with_the_most_free_capacity()
    {
        using var pool = Pool(Cpu, Cpu, Cpu);
        var generators = Enumerable.Range(0, 7).Select(_ => pool.CreateGenerator()).ToList();
        Assert.That(generators.Select(pool.DeviceOf), Is.EqualTo(new[] { 0, 1, 2, 0, 1, 2, 0 }));

        generators[1].Dispose();
        using var next = pool.CreateGenerator();
        Assert.That(pool.DeviceOf(next), Is.EqualTo(1), "the device a conversation left has the most room");
        Assert.That(pool.Status().Select(s => (s.Device, s.State, s.Conversations)),
            Is.EqualTo(new[] { (0, PoolDeviceState.Active, 3), (1, PoolDeviceState.Active, 2), (2, PoolDeviceState.Active, 2) }));
        Assert.Throws<ArgumentException>(() => pool.DeviceOf(_alone.CreateGenerator()));
        generators.ForEach(g => g.Dispose());
    }

    [Test]
    public async Task Conversations_in_the_pool_make_the_text_they_make_alone()
    {
        using var pool = Pool(Cpu, Cpu);
        var texts = await Task.WhenAll(Enumerable.Range(0, 10).Select(user => Task.Run(async () =>
        {
            using var generator = pool.CreateGenerator(Options(user));
            generator.Prime(Prime(user));
            string text = generator.Generate(40);
            await foreach (string chunk in generator.GenerateAsync(40))
            {
                text += chunk;
            }
            return text;
        })));
        for (int user = 0; user < texts.Length; user++)
        {
            Assert.That(texts[user], Is.EqualTo(Alone(user, 80)), $"user {user}");
        }
    }

    [Test]
    public async Task Draining_moves_idle_conversations_without_losing_or_repeating_a_character()
    {
        using var pool = Pool(Cpu, Cpu, Cpu);
        var generators = Enumerable.Range(0, 6).Select(user => pool.CreateGenerator(Options(user))).ToArray();
        var first = generators.Select((g, user) =>
        {
            g.Prime(Prime(user));
            return g.Generate(30);
        }).ToArray();
        Assert.That(generators.Count(g => pool.DeviceOf(g) == 1), Is.EqualTo(2));

        await pool.DrainAsync(1).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(generators.Select(pool.DeviceOf), Has.None.EqualTo(1));
        Assert.That(pool.Status()[1], Is.EqualTo(pool.Status()[1] with { State = PoolDeviceState.Closed, Conversations = 0 }));
        for (int user = 0; user < generators.Length; user++)
        {
            Assert.That(first[user] + generators[user].Generate(50), Is.EqualTo(Alone(user, 80)), $"user {user}");
        }
        using (var late = pool.CreateGenerator())
        {
            Assert.That(pool.DeviceOf(late), Is.Not.EqualTo(1), "a drained device takes no new conversation");
        }
        Assert.ThrowsAsync<InvalidOperationException>(() => pool.DrainAsync(1));
        await pool.DrainAsync(0);
        var e = Assert.ThrowsAsync<InvalidOperationException>(() => pool.DrainAsync(2));
        Assert.That(e!.Message, Does.Contain("last active device"));
        Assert.That(generators.Select(pool.DeviceOf), Is.All.EqualTo(2));
        foreach (var g in generators)
        {
            g.Dispose();
        }
    }

    [Test]
    public async Task A_call_in_flight_finishes_where_it_started_and_its_conversation_moves_right_after()
    {
        using var pool = Pool(Cpu, Cpu);
        using var other = pool.CreateGenerator();
        using var generator = pool.CreateGenerator(Options(2) with { ChunkSize = 10 });
        Assert.That(pool.DeviceOf(generator), Is.EqualTo(1));
        generator.Prime(Prime(2));

        string text = "";
        Task? drain = null;
        await foreach (string chunk in generator.GenerateAsync(600))
        {
            text += chunk;
            if (drain is null && text.Length >= 30)
            {
                drain = pool.DrainAsync(1);
                Assert.That(drain.IsCompleted, Is.False, "the drain waits for the call in flight");
            }
            if (drain is not null)
            {
                Assert.That(pool.DeviceOf(generator), Is.EqualTo(1), "the call runs to its end on its device");
            }
        }
        await drain!.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(pool.DeviceOf(generator), Is.Zero);
        text += generator.Generate(100);
        Assert.That(text, Is.EqualTo(Alone(2, 700)));
    }

    [Test]
    public void A_failed_device_s_conversations_continue_on_the_others_with_unbroken_text()
    {
        var failing = new FailingEngine(TfToTrtWeightConverter.Convert(_model), _model.Vocabulary);
        using var pool = Pool(() => failing, Cpu, Cpu);
        var failures = new List<PoolDeviceFailure>();
        var recoveries = new List<ConversationRecovery>();
        pool.DeviceFailed += (_, f) => failures.Add(f);
        pool.ConversationRecovered += (_, r) => { lock (recoveries) recoveries.Add(r); };

        var generators = Enumerable.Range(0, 6).Select(user => pool.CreateGenerator(Options(user))).ToArray();
        var first = generators.Select((g, user) =>
        {
            g.Prime(Prime(user));
            return g.Generate(20);
        }).ToArray();
        Assert.That(pool.DeviceOf(generators[0]), Is.Zero);
        Assert.That(pool.DeviceOf(generators[3]), Is.Zero);

        // Device 0 breaks 15 characters into a call: the call goes on elsewhere, and its caller sees one whole text.
        failing.FailAfterSteps(15);
        string busy = generators[0].Generate(100);
        Assert.That(first[0] + busy, Is.EqualTo(Alone(0, 120)));

        Assert.That(failures, Has.Count.EqualTo(1));
        Assert.That(failures[0].Device, Is.Zero);
        Assert.That(failures[0].Conversations, Is.EqualTo(2));
        Assert.That(failures[0].Error.Message, Does.Contain("Simulated device failure"));
        Assert.That(pool.Status()[0].State, Is.EqualTo(PoolDeviceState.Failed));
        Assert.That(generators.Select(pool.DeviceOf), Has.None.EqualTo(0), "the idle conversation moved too");

        Assert.That(recoveries, Has.Count.EqualTo(2));
        var busyRecovery = recoveries.Single(r => r.Conversation == generators[0]);
        var idleRecovery = recoveries.Single(r => r.Conversation == generators[3]);
        Assert.That(busyRecovery.CharactersReplayed, Is.InRange(1, 100), "the characters returned before the failure were computed again");
        Assert.That(busyRecovery.CharactersLost, Is.Zero);
        Assert.That(idleRecovery, Is.EqualTo(new ConversationRecovery(generators[3], 0, pool.DeviceOf(generators[3]), 0, 0)));

        for (int user = 1; user < generators.Length; user++)
        {
            Assert.That(first[user] + generators[user].Generate(60), Is.EqualTo(Alone(user, 80)), $"user {user}");
        }
        foreach (var g in generators)
        {
            g.Dispose();
        }
    }

    [Test]
    public async Task A_stream_broken_by_a_failure_continues_without_a_gap_or_a_repeat()
    {
        var failing = new FailingEngine(TfToTrtWeightConverter.Convert(_model), _model.Vocabulary);
        using var pool = Pool(() => failing, Cpu);
        var recoveries = new List<ConversationRecovery>();
        pool.ConversationRecovered += (_, r) => recoveries.Add(r);
        using var generator = pool.CreateGenerator(Options(1) with { ChunkSize = 7 });
        generator.Prime(Prime(1));

        failing.FailAfterSteps(50);
        var chunks = new List<string>();
        await foreach (string chunk in generator.GenerateAsync(300))
        {
            chunks.Add(chunk);
        }
        Assert.That(string.Concat(chunks), Is.EqualTo(Alone(1, 300)));
        Assert.That(chunks, Has.All.Length.InRange(1, 7));
        Assert.That(generator.Position, Is.EqualTo(300));
        Assert.That(recoveries, Has.Count.EqualTo(1));
        Assert.That(recoveries[0].CharactersReplayed, Is.InRange(40, 60), "the text streamed before the failure, computed again");
        Assert.That(pool.DeviceOf(generator), Is.EqualTo(1));
    }

    [Test]
    public void A_device_that_computes_other_text_cannot_continue_a_broken_stream_and_the_loss_is_reported()
    {
        var network = TfToTrtWeightConverter.Convert(_model);
        var failing = new FailingEngine(network, _model.Vocabulary);
        using var pool = Pool(() => failing, () => new FailingEngine(network, _model.Vocabulary, skewLogits: true));
        var recoveries = new List<ConversationRecovery>();
        pool.ConversationRecovered += (_, r) => recoveries.Add(r);
        using var generator = pool.CreateGenerator(Options(1) with { ChunkSize = 7 });
        generator.Prime(Prime(1));
        generator.Generate(10);

        failing.FailAfterSteps(50);
        var chunks = new List<string>();
        var e = Assert.ThrowsAsync<CharRnnException>(async () =>
        {
            await foreach (string chunk in generator.GenerateAsync(300))
            {
                chunks.Add(chunk);
            }
        });
        string returned = string.Concat(chunks);
        Assert.That(e!.Message, Does.Contain("computes other text").And.Contain($"the {returned.Length} characters"));
        Assert.That(Alone(1, 310), Does.StartWith(Alone(1, 10) + returned), "what was returned came from the healthy device");
        Assert.That(recoveries, Is.EqualTo(new[] { new ConversationRecovery(generator, 0, 1, 0, returned.Length) }));
        Assert.That(returned.Length, Is.InRange(40, 60));
        Assert.That(generator.Position, Is.EqualTo(10), "back at the state before the failed call");

        // The conversation goes on from there on the other device: as the skewed device computes it from that state.
        using var reference = new FailingEngine(network, _model.Vocabulary, skewLogits: true);
        using var scheduler = new GenerationScheduler(reference);
        using var expected = scheduler.CreateGenerator(Options(1));
        using (var healthy = _alone.CreateGenerator(Options(1)))
        {
            healthy.Prime(Prime(1));
            healthy.Generate(10);
            expected.Restore(healthy.Snapshot());
        }
        Assert.That(generator.Generate(30), Is.EqualTo(expected.Generate(30)));
    }

    [Test]
    public async Task Busy_conversations_keep_their_text_through_a_drain_and_a_failure_at_once()
    {
        const int Users = 12, Rounds = 6, PerRound = 40;
        var failing = new FailingEngine(TfToTrtWeightConverter.Convert(_model), _model.Vocabulary);
        using var pool = Pool(() => failing, Cpu, Cpu, Cpu);
        var recovered = 0;
        PoolDeviceFailure? failure = null;
        pool.DeviceFailed += (_, f) => failure = f;
        pool.ConversationRecovered += (_, r) =>
        {
            Assert.That(r.CharactersLost, Is.Zero);
            Interlocked.Increment(ref recovered);
        };
        using var started = new CountdownEvent(Users);
        using var go = new ManualResetEventSlim();
        var users = Enumerable.Range(0, Users).Select(user => Task.Run(async () =>
        {
            using var generator = pool.CreateGenerator(Options(user));
            generator.Prime(Prime(user));
            string text = "";
            for (int round = 0; round < Rounds; round++)
            {
                if (round == 1)
                {
                    // Everyone is placed and has text; the failure and the drain come as the next calls start.
                    started.Signal();
                    go.Wait();
                }
                if (round % 2 == 0)
                {
                    text += generator.Generate(PerRound);
                    continue;
                }
                await foreach (string chunk in generator.GenerateAsync(PerRound))
                {
                    text += chunk;
                }
            }
            return text;
        })).ToArray();

        Assert.That(started.Wait(TimeSpan.FromSeconds(60)), "every user is under way");
        failing.FailAfterSteps(30);
        go.Set();
        await pool.DrainAsync(3).WaitAsync(TimeSpan.FromSeconds(60));
        var texts = await Task.WhenAll(users).WaitAsync(TimeSpan.FromSeconds(120));

        for (int user = 0; user < Users; user++)
        {
            Assert.That(texts[user], Is.EqualTo(Alone(user, Rounds * PerRound)), $"user {user}");
        }
        var status = pool.Status();
        Assert.That(status[3].State, Is.EqualTo(PoolDeviceState.Closed));
        Assert.That(status[0].State, Is.EqualTo(PoolDeviceState.Failed), "device 0 ran its users' remaining steps and failed");
        // Device 0 held its three conversations (each with more than 30 characters to go), and those the drain moved there
        // before it failed: each is recovered once.
        Assert.That(failure!.Device, Is.Zero);
        Assert.That(failure.Conversations, Is.GreaterThanOrEqualTo(3));
        Assert.That(recovered, Is.EqualTo(failure.Conversations));
    }

    [Test]
    public void A_failure_found_by_a_prime_is_retried_on_the_next_device()
    {
        var failing = new FailingEngine(TfToTrtWeightConverter.Convert(_model), _model.Vocabulary);
        using var pool = Pool(() => failing, Cpu);
        using var generator = pool.CreateGenerator(Options(0));
        failing.FailAfterSteps(3);
        generator.Prime(Prime(0));
        Assert.That(pool.DeviceOf(generator), Is.EqualTo(1));
        Assert.That(generator.Generate(40), Is.EqualTo(Alone(0, 40)));
    }

    [Test]
    public void With_no_device_left_calls_and_new_conversations_fail_with_a_typed_error()
    {
        var failing = new FailingEngine(TfToTrtWeightConverter.Convert(_model), _model.Vocabulary);
        using var pool = Pool(() => failing);
        using var generator = pool.CreateGenerator();
        generator.Prime("abc");
        failing.FailAfterSteps(0);
        var e = Assert.Throws<CharRnnException>(() => generator.Generate(10));
        Assert.That(e!.Message, Does.Contain("No device of the engine pool"));
        Assert.Throws<CharRnnException>(() => pool.CreateGenerator());
        Assert.That(generator.Position, Is.Zero, "the state is the one before the failed call");
    }

    [Test]
    public void A_snapshot_of_another_engine_continues_in_the_pool()
    {
        using var pool = Pool(Cpu, Cpu);
        using var original = _alone.CreateGenerator(Options(4));
        original.Prime(Prime(4));
        string first = original.Generate(25);
        var bytes = original.Snapshot().ToBytes();

        using var pooled = pool.CreateGenerator(GeneratorSnapshot.FromBytes(bytes));
        Assert.That(first + pooled.Generate(55), Is.EqualTo(Alone(4, 80)));
        var back = pooled.Snapshot();
        Assert.That(back.Position, Is.EqualTo(80));
        Assert.That(back.ModelFingerprint, Is.EqualTo(_alone.ModelFingerprint));
    }

    [Test]
    public void Devices_of_different_models_are_refused_and_every_engine_is_disposed()
    {
        var built = new List<InferenceEngine>();
        Func<InferenceEngine> Make(CharRnnModel model) => () =>
        {
            var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
            built.Add(engine);
            return engine;
        };
        var stranger = RandomModels.Model(2, 40, 65, 16, seed: 32, scale: 0.6f);
        var e = Assert.Throws<ArgumentException>(() => Pool(Make(_model), Make(stranger)));
        Assert.That(e!.Message, Does.Contain("Device 1's engine computes another model"));
        Assert.That(built, Has.Count.EqualTo(2));
        foreach (var engine in built)
        {
            Assert.Throws<ObjectDisposedException>(() => engine.CreateSession(), "the pool disposed the engines it had built");
        }
        Assert.Throws<ArgumentException>(() => new EnginePool(new EnginePoolOptions()));
    }
}
