using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Engine;

/// <summary><see cref="Backend.Auto"/> takes the first available auto candidate; a named backend takes its provider.</summary>
public class BackendSelectionTests
{
    private static readonly CharRnnModel Model = RandomModels.Model(1, 8, 65, null, seed: 11);

    [Test]
    public void Auto_never_probes_or_picks_a_provider_that_runs_only_when_named()
    {
        var namedOnly = new RecordingProvider(Backend.TensorRT, autoCandidate: false);
        var cuda = new RecordingProvider(Backend.Cuda, autoCandidate: true);
        using var engine = InferenceEngine.Create(Model, new EngineOptions { Providers = [namedOnly, cuda] });

        Assert.That(namedOnly.Probes, Is.Zero);
        Assert.That(namedOnly.Builds, Is.Zero);
        Assert.That(cuda.Builds, Is.EqualTo(1), "the first auto candidate that is available builds the engine");
    }

    [Test]
    public void Naming_a_provider_that_runs_only_when_named_uses_it()
    {
        var namedOnly = new RecordingProvider(Backend.TensorRT, autoCandidate: false);
        using var engine = InferenceEngine.Create(Model, new EngineOptions { Backend = Backend.TensorRT, Providers = [namedOnly] });
        Assert.That(namedOnly.Builds, Is.EqualTo(1));
    }

    [Test]
    public void Auto_with_only_a_named_only_provider_falls_back_to_the_cpu()
    {
        var namedOnly = new RecordingProvider(Backend.TensorRT, autoCandidate: false);
        using var engine = InferenceEngine.Create(Model, new EngineOptions { Providers = [namedOnly] });
        Assert.That(engine.Backend, Is.EqualTo(Backend.Cpu));
        Assert.That(namedOnly.Builds, Is.Zero);
    }

    // Available everywhere; builds a CPU engine and counts the calls.
    private sealed class RecordingProvider(Backend backend, bool autoCandidate) : IBackendProvider
    {
        public int Probes { get; private set; }

        public int Builds { get; private set; }

        public Backend Backend => backend;

        public bool IsAutoCandidate => autoCandidate;

        public bool IsAvailable(out string reason, out IReadOnlyList<string> diagnostics)
        {
            Probes++;
            reason = "";
            diagnostics = [];
            return true;
        }

        public InferenceEngine Create(NetworkWeights network, Vocabulary vocabulary, EngineOptions options)
        {
            Builds++;
            return new CpuInferenceEngine(network, vocabulary);
        }
    }
}
