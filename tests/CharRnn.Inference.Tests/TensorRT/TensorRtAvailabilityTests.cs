using System.Reflection;
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
    public void The_refusal_carries_exactly_what_was_probed_and_stops_at_TensorRT()
    {
        IgnoreIfTensorRtPresent();
        TensorRtRuntime.TryInitialize(out var probed);
        var model = RandomModels.Model(1, 4, 6, null, seed: 1);
        var options = new EngineOptions { Backend = Backend.TensorRT, Providers = [new TensorRtBackendProvider()] };
        var e = Assert.Throws<BackendUnavailableException>(() => InferenceEngine.Create(model, options))!;
        Assert.That(e.Diagnostics, Is.EqualTo(probed), "TensorRT's probe trace, and no CUDA or NVRTC probing after it fails");
        Assert.That(e.Message, Does.Contain(TensorRtRuntime.InferLibraryNames[0]).And.Contain(probed[^1]));
    }

    [Test]
    public void Describe_reports_TensorRT_not_loaded_and_the_CUDA_driver_without_throwing()
    {
        IgnoreIfTensorRtPresent();
        var details = new TensorRtBackendProvider().Describe();
        Assert.That(details, Has.Some.EqualTo(new KeyValuePair<string, string>("TensorRT version", "not loaded")));
        Assert.That(details, Has.Some.EqualTo(new KeyValuePair<string, string>("TensorRT libraries tried", string.Join(", ", TensorRtRuntime.InferLibraryNames))));
        // The driver as CharRnn.Bindings.Cuda sees it: its failure reason here, its version on a GPU machine.
        Assert.That(details.Select(d => d.Key), Has.Some.Matches<string>(key => key is "CUDA driver" or "CUDA driver API version"));
    }

    [Test]
    public void The_TensorRT_engine_has_no_native_imports_of_its_own()
    {
        // CUDA goes through CharRnn.Bindings.Cuda and TensorRT through CharRnn.Bindings.TensorRT; a P/Invoke here would
        // be a second, private interop layer.
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly;
        var imports = typeof(TensorRtBackendProvider).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(all))
            .Where(m => m.Attributes.HasFlag(MethodAttributes.PinvokeImpl))
            .Select(m => $"{m.DeclaringType}.{m.Name}")
            .ToArray();
        Assert.That(imports, Is.Empty);
        Assert.That(typeof(TensorRtBackendProvider).Assembly.GetTypes().Select(t => t.Namespace), Has.None.EqualTo("CharRnn.Inference.TensorRT.Cuda"));
    }

    [Test]
    public void Auto_falls_back_to_the_CPU_when_TensorRT_is_missing()
    {
        IgnoreIfTensorRtPresent();
        var model = RandomModels.Model(1, 4, 6, null, seed: 1);
        using var engine = InferenceEngine.Create(model, new EngineOptions { Providers = [new TensorRtBackendProvider()] });
        Assert.That(engine.Backend, Is.EqualTo(Backend.Cpu));
    }

    private static TensorRtBackendProvider RequireTensorRt(TensorRtBackendOptions? options = null)
    {
        var provider = new TensorRtBackendProvider(options);
        if (!provider.IsAvailable(out string reason, out _))
        {
            Assert.Ignore($"Needs TensorRT 10, the charrnn_trt shim and an NVIDIA GPU: {reason}");
        }
        return provider;
    }

    [Test]
    [Category("TensorRT")]
    public void TensorRT_engine_matches_the_CPU_engine()
    {
        var provider = RequireTensorRt(new TensorRtBackendOptions { PlanCacheDirectory = "" });
        var model = RandomModels.Model(2, 32, 65, 16, seed: 9);
        using var cpu = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cpu });
        using var trt = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.TensorRT, Providers = [provider] });
        Assert.That(trt.Backend, Is.EqualTo(Backend.TensorRT), "the TensorRT path really ran");
        int[] prime = model.Vocabulary.Encode("ROMEO");
        using var a = cpu.CreateSession(streams: 2);
        using var b = trt.CreateSession(streams: 2);
        int[] tokens = [.. prime.SelectMany(t => new[] { t, (t + 7) % 65 })];
        var la = new float[tokens.Length * 65];
        var lb = new float[tokens.Length * 65];
        a.Feed(tokens, prime.Length, la);
        b.Feed(tokens, prime.Length, lb);
        Assert.That(lb, Is.EqualTo(la).Within(1e-4), "logits after every prime step");

        var state = new float[a.StateLength];
        b.SaveState(state);
        var greedyA = new int[2 * 40];
        var greedyB = new int[2 * 40];
        a.Generate(40, SamplingOptions.Greedy, 0, 0, greedyA);
        b.Generate(40, SamplingOptions.Greedy, 0, 0, greedyB);
        Assert.That(greedyB, Is.EqualTo(greedyA), "greedy, argmax on the device");

        b.RestoreState(state, hasLogits: true);
        a.RestoreState(state, hasLogits: true);
        var sampling = new SamplingOptions { Temperature = 0.8f, TopK = 10 };
        var sampledA = new int[2 * 40];
        var sampledB = new int[2 * 40];
        a.Generate(40, sampling, 7, 0, sampledA);
        b.Generate(40, sampling, 7, 0, sampledB);
        Assert.That(sampledB, Is.EqualTo(sampledA), "seeded sampling after a restored state");
    }

    [Test]
    [Category("TensorRT")]
    public void Plans_are_cached_and_reused()
    {
        string dir = Path.Combine(Path.GetTempPath(), "charrnn-trt-plans-" + Guid.NewGuid().ToString("N"));
        try
        {
            var provider = RequireTensorRt(new TensorRtBackendOptions { PlanCacheDirectory = dir });
            var model = RandomModels.Model(1, 16, 20, null, seed: 2);
            var options = new EngineOptions { Backend = Backend.TensorRT, Providers = [provider] };
            var first = new float[20];
            using (var engine = InferenceEngine.Create(model, options))
            using (var session = engine.CreateSession())
            {
                session.Feed([3], 1, first);
            }
            Assert.That(Directory.GetFiles(dir, "*.plan"), Has.Length.EqualTo(1));
            File.SetLastWriteTimeUtc(Directory.GetFiles(dir)[0], new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            var second = new float[20];
            using (var engine = InferenceEngine.Create(model, options))
            using (var session = engine.CreateSession())
            {
                session.Feed([3], 1, second);
            }
            Assert.That(File.GetLastWriteTimeUtc(Directory.GetFiles(dir)[0]).Year, Is.EqualTo(2000), "loaded, not rebuilt");
            Assert.That(second, Is.EqualTo(first));
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
