using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Engine;

/// <summary>The CPU as a provider like the others: always available, the fallback, and replaceable.</summary>
public sealed class CpuBackendProviderTests
{
    private static readonly CharRnnModel Model = RandomModels.Model(layers: 1, hidden: 4, vocab: 6, embedding: null, seed: 2);

    [Test]
    public void It_is_always_available_and_builds_the_cpu_engine()
    {
        var provider = new CpuBackendProvider();
        Assert.That(provider.IsAvailable(out string reason, out var diagnostics), Is.True);
        using var engine = provider.Create(TfToTrtWeightConverter.Convert(Model), Model.Vocabulary, new EngineOptions());
        Assert.Multiple(() =>
        {
            Assert.That(reason, Is.Empty);
            Assert.That(diagnostics, Is.Empty);
            Assert.That(provider.Backend, Is.EqualTo(Backend.Cpu));
            Assert.That(engine, Is.InstanceOf<CpuInferenceEngine>());
        });
    }

    [TestCase(Backend.Cpu)]
    [TestCase(Backend.Auto)]
    public void Without_providers_the_cpu_computes(Backend backend)
    {
        using var engine = InferenceEngine.Create(Model, new EngineOptions { Backend = backend });
        Assert.That(engine.Backend, Is.EqualTo(Backend.Cpu));
    }

    [Test]
    public void A_listed_cpu_provider_replaces_the_built_in_one()
    {
        var counting = new CountingCpuProvider();
        using var named = InferenceEngine.Create(Model, new EngineOptions { Backend = Backend.Cpu, Providers = [counting] });
        using var fallback = InferenceEngine.Create(Model, new EngineOptions { Backend = Backend.Auto, Providers = [counting] });
        Assert.That(counting.Created, Is.EqualTo(2));
    }

    private sealed class CountingCpuProvider : IBackendProvider
    {
        private readonly CpuBackendProvider _cpu = new();

        public int Created { get; private set; }

        public Backend Backend => Backend.Cpu;

        public bool IsAvailable(out string reason, out IReadOnlyList<string> diagnostics) => _cpu.IsAvailable(out reason, out diagnostics);

        public InferenceEngine Create(NetworkWeights network, Vocabulary vocabulary, EngineOptions options)
        {
            Created++;
            return _cpu.Create(network, vocabulary, options);
        }
    }
}
