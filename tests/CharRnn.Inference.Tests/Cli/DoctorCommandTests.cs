using CharRnn.Cli;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;

namespace CharRnn.Inference.Tests.Cli;

/// <summary><c>charrnn doctor</c>: the real providers on this machine, and the report's logic on fake providers.</summary>
public class DoctorCommandTests
{
    // The first TensorRT library tried here (libnvinfer.so.10 on Linux).
    private static readonly string InferName = OperatingSystem.IsWindows() ? "nvinfer_10.dll" : "libnvinfer.so.10";

    [Test]
    public async Task Reports_runtime_cpu_and_every_provider_and_exits_zero()
    {
        var result = await CliRunner.RunAsync("doctor");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Stderr, Is.Empty);
        var lines = result.Stdout.Split('\n', StringSplitOptions.TrimEntries);
        Assert.That(lines, Has.Some.StartsWith($"runtime: .NET {Environment.Version.Major}."));
        Assert.That(lines, Has.Some.StartsWith($"cpu: {Environment.ProcessorCount} threads, SIMD {System.Numerics.Vector<float>.Count * 32} bits"));
        Assert.That(lines, Has.Some.EqualTo("Cpu: available (managed SIMD; always)"));
        Assert.That(lines, Has.Some.StartsWith("TensorRT: "));
        Assert.That(lines, Has.Some.StartsWith("Cuda: "));
        Assert.That(lines.Single(l => l.StartsWith("TensorRT libraries tried: ", StringComparison.Ordinal)),
            Does.Contain(InferName));
    }

    [Test]
    public async Task Without_TensorRT_names_the_missing_library_and_auto_picks_the_cpu()
    {
        if (BackendProviders.All().Any(p => p.IsAvailable(out _, out _)))
        {
            Assert.Ignore("A GPU backend is usable on this machine; this test covers machines without one.");
        }
        var result = await CliRunner.RunAsync("doctor");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.TrimEntries);
        string status = lines.Single(l => l.StartsWith("TensorRT: ", StringComparison.Ordinal));
        Assert.That(status, Does.StartWith("TensorRT: unavailable: ").And.Contain(InferName));
        // The load trace: one line per attempt, the first naming the first soname tried.
        Assert.That(lines.Where(l => l.StartsWith("trace: ", StringComparison.Ordinal)), Is.Not.Empty);
        Assert.That(lines.Where(l => l.StartsWith("trace: ", StringComparison.Ordinal)), Has.Some.Contains(InferName));
        Assert.That(lines, Has.Some.EqualTo("TensorRT version: not loaded"));
        // The provider's details (IBackendDiagnostics) follow the trace, including what the CUDA driver probe found
        // (CharRnn.Bindings.Cuda's answer, the same line the CUDA provider prints).
        Assert.That(lines, Has.Some.StartsWith("CUDA driver: ").And.Contains("libcuda.so.1"));
        string auto = lines[^1] == "" ? lines[^2] : lines[^1];
        Assert.That(auto, Is.EqualTo("auto: Cpu (no GPU backend available: Cuda unavailable)"), "TensorRT is not Auto's to pick");
        Assert.That(status, Does.EndWith("(only when named: --backend tensorrt)"));
    }

    [Test]
    public void Auto_picks_the_first_available_provider_and_prints_its_details()
    {
        var output = new StringWriter();
        DoctorCommand.Write(output,
        [
            new FakeProvider(Backend.TensorRT, available: false, reason: "no libnvinfer", ["libnvinfer.so.10: not found"]),
            new DescribedProvider(Backend.Cuda, [new("GPU 0", "Fake GPU (compute capability 9.0)"), new("CUDA driver API version", "12.8")]),
        ]);
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries);
        Assert.That(lines, Does.Contain("TensorRT: unavailable: no libnvinfer"));
        Assert.That(lines, Does.Contain("trace: libnvinfer.so.10: not found"));
        Assert.That(lines, Does.Contain("Cuda: available"));
        Assert.That(lines, Does.Contain("GPU 0: Fake GPU (compute capability 9.0)"));
        Assert.That(lines, Does.Contain("CUDA driver API version: 12.8"));
        Assert.That(lines, Does.Contain("auto: Cuda (available (TensorRT not))"));
    }

    [Test]
    public void Auto_skips_a_provider_that_runs_only_when_named_even_when_it_is_available()
    {
        var output = new StringWriter();
        DoctorCommand.Write(output,
        [
            new FakeProvider(Backend.Cuda, available: false, reason: "no libcuda", []),
            new FakeProvider(Backend.TensorRT, available: true, reason: "", []) { AutoCandidate = false },
        ]);
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries);
        Assert.That(lines, Does.Contain("TensorRT: available (only when named: --backend tensorrt)"));
        Assert.That(lines, Does.Contain("auto: Cpu (no GPU backend available: Cuda unavailable)"));
    }

    [Test]
    public void The_tools_providers_put_cuda_first_and_keep_tensorrt_for_when_it_is_named()
    {
        var providers = BackendProviders.All();
        Assert.That(providers.Select(p => p.Backend), Is.EqualTo(new[] { Backend.Cuda, Backend.TensorRT }));
        Assert.That(providers.Select(p => p.IsAutoCandidate), Is.EqualTo(new[] { true, false }));
    }

    [Test]
    public void A_provider_that_throws_is_reported_not_fatal()
    {
        var output = new StringWriter();
        DoctorCommand.Write(output, [new ThrowingProvider()]);
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries);
        Assert.That(lines, Does.Contain("Cuda: unavailable: the availability check threw DllNotFoundException: libcuda.so.1"));
        Assert.That(lines, Does.Contain("details: unreadable: InvalidOperationException: broken"));
        Assert.That(lines, Does.Contain("auto: Cpu (no GPU backend available: Cuda unavailable)"));
    }

    [Test]
    public void No_providers_means_the_cpu()
    {
        var output = new StringWriter();
        DoctorCommand.Write(output, []);
        Assert.That(output.ToString(), Does.EndWith("auto: Cpu (no GPU backend configured)" + Environment.NewLine));
    }

    private class FakeProvider(Backend backend, bool available, string reason, IReadOnlyList<string> trace) : IBackendProvider
    {
        public Backend Backend => backend;

        public bool AutoCandidate { get; init; } = true;

        public bool IsAutoCandidate => AutoCandidate;

        public bool IsAvailable(out string reasonText, out IReadOnlyList<string> diagnostics)
        {
            reasonText = reason;
            diagnostics = trace;
            return available;
        }

        public InferenceEngine Create(NetworkWeights network, Vocabulary vocabulary, EngineOptions options) =>
            throw new NotSupportedException("doctor never builds an engine");
    }

    private sealed class DescribedProvider(Backend backend, IReadOnlyList<KeyValuePair<string, string>> details)
        : FakeProvider(backend, available: true, reason: "", []), IBackendDiagnostics
    {
        public IReadOnlyList<KeyValuePair<string, string>> Describe() => details;
    }

    private sealed class ThrowingProvider : IBackendProvider, IBackendDiagnostics
    {
        public Backend Backend => Backend.Cuda;

        public bool IsAvailable(out string reason, out IReadOnlyList<string> diagnostics) => throw new DllNotFoundException("libcuda.so.1");

        public InferenceEngine Create(NetworkWeights network, Vocabulary vocabulary, EngineOptions options) =>
            throw new NotSupportedException("doctor never builds an engine");

        public IReadOnlyList<KeyValuePair<string, string>> Describe() => throw new InvalidOperationException("broken");
    }
}
