using CharRnn.Bindings.Cuda;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;

namespace CharRnn.Inference.Tests.Cuda;

/// <summary>What a machine without an NVIDIA driver (CI) sees: a reason, a trace, and a typed exception.</summary>
public sealed class CudaProviderWithoutGpuTests
{
    [OneTimeSetUp]
    public void RequireNoDriver()
    {
        if (CudaDriver.TryInitialize(out _))
        {
            Assert.Ignore("An NVIDIA driver is present here; these tests describe machines without one (the GPU suite covers this machine).");
        }
    }

    [Test]
    public void IsAvailable_is_false_with_a_reason_naming_libcuda()
    {
        var provider = new CudaBackendProvider();
        bool available = provider.IsAvailable(out string reason, out var diagnostics);
        Assert.Multiple(() =>
        {
            Assert.That(available, Is.False);
            Assert.That(reason, Does.Contain("libcuda.so.1"));
            Assert.That(diagnostics, Has.Some.Contains("libcuda.so.1"), "every load attempt is recorded");
        });
    }

    [Test]
    public void Backend_cuda_throws_BackendUnavailableException_naming_libcuda()
    {
        var model = SeededModels.Create(1, 8, 4, seed: 1);
        var e = Assert.Throws<BackendUnavailableException>(() =>
            InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [new CudaBackendProvider()] }));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Backend, Is.EqualTo(Backend.Cuda));
            Assert.That(e.Message, Does.Contain("libcuda.so.1"));
            Assert.That(e.Diagnostics, Is.Not.Empty);
        });
    }

    [Test]
    public void Backend_auto_falls_back_to_the_cpu()
    {
        var model = SeededModels.Create(1, 8, 4, seed: 1);
        using var engine = InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Auto, Providers = [new CudaBackendProvider()] });
        Assert.That(engine.Backend, Is.EqualTo(Backend.Cpu));
    }
}
