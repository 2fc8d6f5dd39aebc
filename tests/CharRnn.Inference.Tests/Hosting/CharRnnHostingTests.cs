using System.Diagnostics.Metrics;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Diagnostics;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Hosting;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CharRnn.Inference.Tests.Hosting;

/// <summary><c>services.AddCharRnn(...)</c>: the container builds one engine, at start-up, from validated options.</summary>
public class CharRnnHostingTests
{
    private static string FixtureWts => TestData.SharedData("tf-char-rnn-shakespeare-128", "model-85340.wts2");

    private static string FixtureVocab => TestData.SharedData("tf-char-rnn-shakespeare-128", "vocab.json");

    [Test]
    public async Task Warm_up_builds_the_engine_once_from_the_options_and_the_registered_providers()
    {
        var gpu = new CountingUnavailableProvider();
        var services = new ServiceCollection()
            .AddLogging()
            .AddCharRnnBackend(gpu)
            .AddCharRnn(o =>
            {
                o.ModelPath = FixtureWts;
                o.VocabularyPath = FixtureVocab;
            });
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var hosted = provider.GetServices<IHostedService>().ToArray();
        Assert.That(hosted, Has.Length.EqualTo(1), "one warm-up service");
        Assert.That(gpu.Probes, Is.Zero, "nothing is built before start");
        await hosted[0].StartAsync(CancellationToken.None);
        Assert.That(gpu.Probes, Is.EqualTo(1), "Auto asked the registered provider during warm-up");

        var engine = provider.GetRequiredService<InferenceEngine>();
        Assert.That(provider.GetRequiredService<InferenceEngine>(), Is.SameAs(engine));
        Assert.That(gpu.Probes, Is.EqualTo(1), "the engine was built once, at start-up");
        Assert.That(engine.Backend, Is.EqualTo(Backend.Cpu));
        Assert.That(engine.Dimensions.ToString(), Is.EqualTo("2 x 128 LSTM, input 65 (one-hot), vocabulary 65"));

        // The container's engine computes what an engine built by hand from the same file computes.
        using var reference = InferenceEngine.Create(CharRnnModel.Load(FixtureWts, new ModelLoadOptions { VocabularyPath = FixtureVocab }),
            new EngineOptions { Backend = Backend.Cpu });
        Assert.That(Greedy(engine, "ROMEO", 80), Is.EqualTo(Greedy(reference, "ROMEO", 80)));
        await hosted[0].StopAsync(CancellationToken.None);
    }

    [Test]
    public async Task Without_a_model_path_uses_the_embedded_model()
    {
        await using var provider = new ServiceCollection().AddCharRnn().BuildServiceProvider();
        var engine = provider.GetRequiredService<InferenceEngine>();
        Assert.That(engine.Dimensions.ToString(), Is.EqualTo("2 x 512 LSTM, input 512 (embedding), vocabulary 65"));
        Assert.That(engine.Backend, Is.EqualTo(Backend.Cpu), "no GPU provider registered");
    }

    [Test]
    public async Task A_missing_model_fails_start_up_validation_naming_the_option_and_the_path()
    {
        string missing = Path.Combine(Path.GetTempPath(), "charrnn-no-such-model.wts");
        await using var provider = new ServiceCollection().AddCharRnn(o => o.ModelPath = missing).BuildServiceProvider();

        // What the host runs before starting hosted services (ValidateOnStart).
        var startup = provider.GetRequiredService<IStartupValidator>();
        var e = Assert.Throws<OptionsValidationException>(startup.Validate)!;
        Assert.That(e.Message, Does.Contain("CharRnnOptions.ModelPath").And.Contain(missing));

        var warmUp = provider.GetServices<IHostedService>().Single();
        Assert.ThrowsAsync<OptionsValidationException>(() => warmUp.StartAsync(CancellationToken.None));
    }

    [Test]
    public async Task A_vocabulary_without_a_model_is_refused()
    {
        await using var provider = new ServiceCollection().AddCharRnn(o => o.VocabularyPath = FixtureVocab).BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<CharRnnOptions>>().Value)!;
        Assert.That(e.Message, Does.Contain("VocabularyPath is set but ModelPath is not"));
    }

    [Test]
    public async Task A_named_backend_that_is_not_registered_fails_the_warm_up_with_BackendUnavailableException()
    {
        await using var provider = new ServiceCollection().AddCharRnn(o => o.Backend = Backend.Cuda).BuildServiceProvider();
        var warmUp = provider.GetServices<IHostedService>().Single();
        var e = Assert.ThrowsAsync<BackendUnavailableException>(() => warmUp.StartAsync(CancellationToken.None))!;
        Assert.That(e.Message, Does.Contain("Cuda"));
    }

    [Test]
    public void Engine_build_time_and_generated_characters_are_published_on_the_CharRnn_meter()
    {
        // Measurements are reported synchronously on the recording thread: keep only this test's.
        int thread = Environment.CurrentManagedThreadId;
        var builds = new List<(double Ms, string? Backend)>();
        long generated = 0;
        string? generatedBackend = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "CharRnn.Inference")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (Environment.CurrentManagedThreadId == thread && instrument.Name == "charrnn.engine.build.duration")
            {
                Assert.That(instrument.Unit, Is.EqualTo("ms"));
                builds.Add((value, Tag(tags, CharRnnMetrics.BackendTag)));
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (Environment.CurrentManagedThreadId == thread && instrument.Name == "charrnn.chars.generated")
            {
                generated += value;
                generatedBackend = Tag(tags, CharRnnMetrics.BackendTag);
            }
        });
        listener.Start();

        var model = CharRnnModel.Load(FixtureWts, new ModelLoadOptions { VocabularyPath = FixtureVocab });
        using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        Assert.That(builds, Has.Count.EqualTo(1));
        Assert.That(builds[0].Ms, Is.GreaterThan(0));
        Assert.That(builds[0].Backend, Is.EqualTo("Cpu"));

        using var generator = engine.CreateGenerator(new GeneratorOptions { ChunkSize = 16 });
        generator.Prime("ROMEO");
        Assert.That(generated, Is.Zero, "priming generates nothing");
        string text = generator.Generate(70);
        Assert.That(generated, Is.EqualTo(text.Length).And.EqualTo(70));
        Assert.That(generatedBackend, Is.EqualTo("Cpu"));
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }
        return null;
    }

    [Test]
    public async Task Generators_from_the_container_share_one_batch_and_keep_their_own_text()
    {
        await using var provider = new ServiceCollection()
            .AddCharRnn(o =>
            {
                o.ModelPath = FixtureWts;
                o.VocabularyPath = FixtureVocab;
                o.Serving.MaxStreams = 4;
            })
            .BuildServiceProvider();
        var factory = provider.GetRequiredService<IGeneratorFactory>();
        var scheduler = provider.GetRequiredService<GenerationScheduler>();
        Assert.That(factory, Is.SameAs(scheduler), "batching is the default");
        Assert.That(scheduler.Options.MaxStreams, Is.EqualTo(4));

        var engine = provider.GetRequiredService<InferenceEngine>();
        string[] primes = ["ROMEO", "JULIET", "KING", "First", "Second", "QUEEN"];
        var texts = await Task.WhenAll(primes.Select(prime => Task.Run(() =>
        {
            using var generator = factory.CreateGenerator(new GeneratorOptions { Sampling = SamplingOptions.Greedy });
            generator.Prime(prime);
            return generator.Generate(120);
        })));
        Assert.That(texts, Is.EqualTo(primes.Select(p => Greedy(engine, p, 120)).ToArray()));
    }

    [Test]
    public async Task Batching_off_gives_generators_sessions_of_their_own()
    {
        await using var provider = new ServiceCollection().AddCharRnn(o => o.Serving.Batching = false).BuildServiceProvider();
        Assert.That(provider.GetRequiredService<IGeneratorFactory>(), Is.SameAs(provider.GetRequiredService<InferenceEngine>()));
    }

    [Test]
    public async Task Serving_limits_are_validated_at_start()
    {
        await using var provider = new ServiceCollection().AddCharRnn(o => o.Serving.MaxStreams = 0).BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(provider.GetRequiredService<IStartupValidator>().Validate)!;
        Assert.That(e.Message, Does.Contain("CharRnnOptions.Serving.MaxStreams 0"));
    }

    private static string Greedy(InferenceEngine engine, string prime, int length)
    {
        using var generator = engine.CreateGenerator(new GeneratorOptions { Sampling = SamplingOptions.Greedy });
        generator.Prime(prime);
        return generator.Generate(length);
    }

    private sealed class CountingUnavailableProvider : IBackendProvider
    {
        public int Probes { get; private set; }

        public Backend Backend => Backend.TensorRT;

        public bool IsAvailable(out string reason, out IReadOnlyList<string> diagnostics)
        {
            Probes++;
            reason = "fake: never available";
            diagnostics = [];
            return false;
        }

        public InferenceEngine Create(NetworkWeights network, Vocabulary vocabulary, EngineOptions options) =>
            throw new BackendUnavailableException(Backend.TensorRT, "fake", []);
    }
}
