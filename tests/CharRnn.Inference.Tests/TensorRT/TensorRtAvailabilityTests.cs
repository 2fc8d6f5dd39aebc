using CharRnn.Bindings.TensorRT;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.TensorRT;
using CharRnn.Inference.Tests.Reference;

namespace CharRnn.Inference.Tests.TensorRT;

/// <summary>What a machine without TensorRT sees: typed, explained refusals naming libnvinfer and what was probed.</summary>
public class TensorRtAvailabilityTests
{
    private static string InferName => TensorRtRuntime.InferLibraryNames[0];

    private static void IgnoreIfTensorRtPresent()
    {
        if (TensorRtRuntime.TryInitialize(out _))
        {
            Assert.Ignore("TensorRT is installed here: the unavailable-path tests do not apply.");
        }
    }

    [Test]
    public void Library_names_are_the_TensorRT_10_sonames()
    {
        Assert.That(InferName, Is.EqualTo(OperatingSystem.IsWindows() ? "nvinfer_10.dll" : "libnvinfer.so.10"));
    }

    [Test]
    public void Runtime_reports_every_probe_and_never_throws()
    {
        IgnoreIfTensorRtPresent();
        Assert.That(TensorRtRuntime.TryInitialize(out var diagnostics), Is.False);
        Assert.That(diagnostics, Has.Some.StartsWith($"{InferName}: not found"));
        Assert.That(diagnostics, Has.Some.StartsWith($"{TensorRtRuntime.InferLibraryNames[1]}: not found"));
        Assert.That(diagnostics[^1], Does.Contain("TensorRT not found").And.Contain(InferName));
        Assert.That(TensorRtRuntime.IsSupported, Is.False);
        Assert.That(TensorRtRuntime.LibraryVersion, Is.Null);
        // The answer is decided once and repeated.
        Assert.That(TensorRtRuntime.TryInitialize(out var again), Is.False);
        Assert.That(again, Is.EqualTo(diagnostics));
    }

    [Test]
    public void EnsureInitialized_throws_a_load_failure_with_the_trace()
    {
        IgnoreIfTensorRtPresent();
        var e = Assert.Throws<TensorRtException>(TensorRtRuntime.EnsureInitialized)!;
        Assert.That(e.Status, Is.EqualTo(TensorRtStatus.LoadFailure));
        Assert.That(e.Message, Does.Contain(InferName + ": not found"));
    }

    [Test]
    public void Bindings_objects_refuse_to_start_without_TensorRT()
    {
        IgnoreIfTensorRtPresent();
        var e = Assert.Throws<TensorRtException>(() => new TensorRtLogger())!;
        Assert.That(e.Status, Is.EqualTo(TensorRtStatus.LoadFailure));
    }

    [Test]
    public void Provider_is_unavailable_with_a_reason_naming_libnvinfer_and_the_probes()
    {
        IgnoreIfTensorRtPresent();
        var provider = new TensorRtBackendProvider();
        Assert.That(provider.Backend, Is.EqualTo(Backend.TensorRT));
        Assert.That(provider.IsAvailable(out string reason, out var diagnostics), Is.False);
        Assert.That(reason, Does.Contain(InferName));
        Assert.That(diagnostics, Has.Some.Contains(InferName + ": not found"));
    }

    [Test]
    public void Creating_a_TensorRT_engine_throws_BackendUnavailable_naming_libnvinfer()
    {
        IgnoreIfTensorRtPresent();
        var model = RandomModels.Model(1, 4, 6, null, seed: 1);
        var options = new EngineOptions { Backend = Backend.TensorRT, Providers = [new TensorRtBackendProvider()] };
        var e = Assert.Throws<BackendUnavailableException>(() => InferenceEngine.Create(model, options))!;
        Assert.That(e.Backend, Is.EqualTo(Backend.TensorRT));
        Assert.That(e.Message, Does.Contain(InferName));
        Assert.That(e.Diagnostics, Has.Some.Contains(InferName + ": not found"));
    }

    [Test]
    public void Auto_falls_back_to_the_CPU_when_TensorRT_is_missing()
    {
        IgnoreIfTensorRtPresent();
        var model = RandomModels.Model(1, 4, 6, null, seed: 1);
        using var engine = InferenceEngine.Create(model, new EngineOptions { Providers = [new TensorRtBackendProvider()] });
        Assert.That(engine.Backend, Is.EqualTo(Backend.Cpu));
    }

    [Test]
    [Category("TensorRT")]
    public void TensorRT_engine_matches_the_CPU_engine()
    {
        if (!new TensorRtBackendProvider().IsAvailable(out string reason, out _))
        {
            Assert.Ignore($"Needs TensorRT 10, the charrnn_trt shim and an NVIDIA GPU: {reason}");
        }
        var model = RandomModels.Model(2, 32, 65, 16, seed: 9);
        using var cpu = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        using var trt = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.TensorRT, Providers = [new TensorRtBackendProvider(new TensorRtBackendOptions { PlanCacheDirectory = "" })] });
        Assert.That(trt.Backend, Is.EqualTo(Backend.TensorRT), "the TensorRT path really ran");
        int[] prime = model.Vocabulary.Encode("ROMEO");
        using var a = cpu.CreateSession();
        using var b = trt.CreateSession();
        var la = new float[prime.Length * 65];
        var lb = new float[prime.Length * 65];
        a.Feed(prime, prime.Length, la);
        b.Feed(prime, prime.Length, lb);
        Assert.That(lb, Is.EqualTo(la).Within(1e-4));
        var ga = new int[40];
        var gb = new int[40];
        a.Generate(40, SamplingOptions.Greedy, 0, 0, ga);
        b.Generate(40, SamplingOptions.Greedy, 0, 0, gb);
        Assert.That(gb, Is.EqualTo(ga));
    }
}
