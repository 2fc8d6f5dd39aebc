using System.Diagnostics;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Diagnostics;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Tests.AI;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.Engine;

/// <summary>InferenceEngine.CreateAsync (steps, cancellation), the build span, and ModelOrDefault.</summary>
public class EngineBuildTests
{
    private static readonly CharRnnModel Model = RandomModels.Model(2, 8, 65, 4, seed: 21);

    [Test]
    public async Task CreateAsync_reports_each_step_and_builds_what_Create_builds()
    {
        var steps = new StepList();
        using var engine = await InferenceEngine.CreateAsync(Model, new EngineOptions { Backend = Backend.Cpu }, steps);
        Assert.That(steps.Stages, Is.EqualTo(new[] { EngineBuildStage.Converting, EngineBuildStage.Building, EngineBuildStage.Ready }));
        Assert.That(steps.Descriptions[1], Is.EqualTo("building the Cpu engine"));

        using var reference = InferenceEngine.Create(Model, new EngineOptions { Backend = Backend.Cpu });
        using var a = engine.CreateGenerator();
        using var b = reference.CreateGenerator();
        a.Prime("ROMEO");
        b.Prime("ROMEO");
        Assert.That(a.Generate(50), Is.EqualTo(b.Generate(50)));
    }

    [TestCase(EngineBuildStage.Converting)]
    [TestCase(EngineBuildStage.Building)]
    public void Cancelling_before_the_backend_build_builds_nothing(EngineBuildStage cancelAt)
    {
        using var cancel = new CancellationTokenSource();
        var provider = new CancellingProvider(null);
        var steps = new StepList(stage => { if (stage == cancelAt) cancel.Cancel(); });
        Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), () =>
            InferenceEngine.CreateAsync(Model, new EngineOptions { Backend = Backend.Cuda, Providers = [provider] }, steps, cancel.Token));
        Assert.That(provider.Built, Is.Null);
        Assert.That(steps.Stages, Does.Not.Contain(EngineBuildStage.Ready));
    }

    [Test]
    public void Cancelling_during_the_backend_build_disposes_the_engine_it_built()
    {
        using var cancel = new CancellationTokenSource();
        var provider = new CancellingProvider(cancel);
        Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), () =>
            InferenceEngine.CreateAsync(Model, new EngineOptions { Backend = Backend.Cuda, Providers = [provider] }, null, cancel.Token));
        Assert.That(provider.Built, Is.Not.Null);
        Assert.Throws<ObjectDisposedException>(() => provider.Built!.CreateSession());
    }

    [Test]
    public void An_already_cancelled_token_starts_nothing()
    {
        var steps = new StepList();
        Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), () =>
            InferenceEngine.CreateAsync(Model, null, steps, new CancellationToken(canceled: true)));
        Assert.That(steps.Stages, Is.Empty);
    }

    [Test]
    public async Task A_build_is_one_span_tagged_with_the_backend_and_a_failed_one_is_an_error()
    {
        using var spans = new ActivityRecorder(CharRnnTelemetry.ActivitySourceName);
        using (InferenceEngine.Create(Model))
        {
        }
        using (await InferenceEngine.CreateAsync(Model, new EngineOptions { Backend = Backend.Cpu }))
        {
        }
        Assert.Throws<BackendUnavailableException>(() => InferenceEngine.Create(Model, new EngineOptions { Backend = Backend.TensorRT }));

        var builds = spans.Stopped;
        Assert.That(builds.Select(s => s.OperationName), Is.All.EqualTo("charrnn.engine.build"));
        Assert.That(builds.Select(s => s.GetTagItem("charrnn.backend.requested")), Is.EqualTo(new[] { "Auto", "Cpu", "TensorRT" }));
        Assert.That(builds.Select(s => s.GetTagItem("charrnn.backend")), Is.EqualTo(new object?[] { "Cpu", "Cpu", null }));
        Assert.That(builds[0].GetTagItem("charrnn.model"), Is.EqualTo(Model.Dimensions.ToString()));
        Assert.That(builds.Select(s => s.Status), Is.EqualTo(new[] { ActivityStatusCode.Unset, ActivityStatusCode.Unset, ActivityStatusCode.Error }));
        Assert.That(builds[2].Events.Single().Name, Is.EqualTo("exception"));
    }

    [Test]
    public async Task ModelOrDefault_loads_the_named_file_or_the_embedded_model_and_reports_loading_first()
    {
        string wts = TestData.SharedData("tf-char-rnn-shakespeare-128", "model-85340.wts2");
        string vocab = TestData.SharedData("tf-char-rnn-shakespeare-128", "vocab.json");
        Assert.That(ModelOrDefault.Load(wts, vocab).Dimensions.ToString(), Is.EqualTo("2 x 128 LSTM, input 65 (one-hot), vocabulary 65"));
        Assert.That(ModelOrDefault.Describe(null), Is.EqualTo("the embedded default model"));
        var e = Assert.Throws<ArgumentException>(() => ModelOrDefault.Load(null, vocab))!;
        Assert.That(e.Message, Does.Contain(vocab).And.Contain("Name the model file too"));

        var steps = new StepList();
        using var engine = await ModelOrDefault.CreateEngineAsync(null, null, new EngineOptions { Backend = Backend.Cpu }, steps);
        Assert.That(engine.Dimensions, Is.EqualTo(TinyShakespeareModel.Instance.Dimensions));
        Assert.That(steps.Stages, Is.EqualTo(new[] { EngineBuildStage.Loading, EngineBuildStage.Converting, EngineBuildStage.Building, EngineBuildStage.Ready }));
        Assert.That(steps.Descriptions[0], Is.EqualTo("loading the embedded default model"));
    }

    // Synchronous, unlike Progress<T>, so that a test can act at a step before the next one starts.
    private sealed class StepList(Action<EngineBuildStage>? onStep = null) : IProgress<EngineBuildProgress>
    {
        public List<EngineBuildStage> Stages { get; } = [];

        public List<string> Descriptions { get; } = [];

        public void Report(EngineBuildProgress value)
        {
            Stages.Add(value.Stage);
            Descriptions.Add(value.Description);
            onStep?.Invoke(value.Stage);
        }
    }

    // A "Cuda" provider that builds a CPU engine, cancelling the token while it builds when given one.
    private sealed class CancellingProvider(CancellationTokenSource? cancelWhileBuilding) : IBackendProvider
    {
        public InferenceEngine? Built { get; private set; }

        public Backend Backend => Backend.Cuda;

        public bool IsAvailable(out string reason, out IReadOnlyList<string> diagnostics)
        {
            reason = "";
            diagnostics = [];
            return true;
        }

        public InferenceEngine Create(NetworkWeights network, Vocabulary vocabulary, EngineOptions options)
        {
            Built = new CpuInferenceEngine(network, vocabulary);
            cancelWhileBuilding?.Cancel();
            return Built;
        }
    }
}
