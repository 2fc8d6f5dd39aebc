using CharRnn.Inference.AI;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Serving;
using CharRnn.Inference.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CharRnn.Inference.Tests.Hosting;

/// <summary>What AddCharRnn registers beside the engine: the generator factory, the chat client and the health check.</summary>
public class CharRnnServicesTests
{
    private static string FixtureWts => TestData.SharedData("tf-char-rnn-shakespeare-128", "model-85340.wts2");

    private static string FixtureVocab => TestData.SharedData("tf-char-rnn-shakespeare-128", "vocab.json");

    private static IServiceCollection Fixture() => new ServiceCollection().AddLogging().AddCharRnn(o =>
    {
        o.ModelPath = FixtureWts;
        o.VocabularyPath = FixtureVocab;
        o.Backend = Backend.Cpu;
    });

    [Test]
    public async Task The_scheduler_is_the_generator_factory_unless_one_is_registered()
    {
        await using (var provider = Fixture().BuildServiceProvider())
        {
            Assert.That(provider.GetRequiredService<IGeneratorFactory>(), Is.SameAs(provider.GetRequiredService<GenerationScheduler>()));
            Assert.That(provider.GetRequiredService<GenerationScheduler>().Engine, Is.SameAs(provider.GetRequiredService<InferenceEngine>()));
        }

        var scheduler = new FakeScheduler();
        var services = new ServiceCollection().AddSingleton<IGeneratorFactory>(scheduler).AddCharRnn();
        await using var withScheduler = services.BuildServiceProvider();
        Assert.That(withScheduler.GetRequiredService<IGeneratorFactory>(), Is.SameAs(scheduler));
    }

    [Test]
    public async Task The_chat_client_continues_text_with_the_containers_generators()
    {
        await using var provider = Fixture().AddCharRnnChatClient(new CharRnnChatClientOptions { DefaultMaxOutputTokens = 90 }).BuildServiceProvider();
        var chat = provider.GetRequiredService<IChatClient>();
        Assert.That(chat, Is.InstanceOf<CharRnnChatClient>());

        var response = await chat.GetResponseAsync("ROMEO:");

        using var generator = provider.GetRequiredService<InferenceEngine>().CreateGenerator();
        generator.Prime("ROMEO:");
        Assert.That(response.Text, Is.EqualTo(generator.Generate(90)));
    }

    [Test]
    public async Task The_health_check_reports_the_engine_built_and_computing()
    {
        var services = Fixture();
        services.AddHealthChecks().AddCharRnnHealthCheck(tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();

        var report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries["charrnn"];
        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy), entry.Description);
        Assert.That(entry.Description, Does.StartWith("Cpu engine on CPU"));
        Assert.That(entry.Data["backend"], Is.EqualTo("Cpu"));
        Assert.That(entry.Data["model"], Is.EqualTo("2 x 128 LSTM, input 65 (one-hot), vocabulary 65"));
        Assert.That(entry.Tags, Is.EquivalentTo(new[] { "ready" }));
    }

    [Test]
    public async Task The_health_check_is_unhealthy_with_the_reason_when_the_engine_cannot_be_built()
    {
        var services = new ServiceCollection().AddLogging().AddCharRnn(o => o.Backend = Backend.Cuda);
        services.AddHealthChecks().AddCharRnnHealthCheck(failureStatus: HealthStatus.Degraded);
        await using var provider = services.BuildServiceProvider();

        var entry = (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["charrnn"];
        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(entry.Description, Does.StartWith("The CharRnn engine could not be built: ").And.Contain("Cuda"));
        Assert.That(entry.Exception, Is.InstanceOf<BackendUnavailableException>());
    }

    private sealed class FakeScheduler : IGeneratorFactory
    {
        public Generator CreateGenerator(GeneratorOptions? options = null) => throw new NotSupportedException("never called");
    }
}
