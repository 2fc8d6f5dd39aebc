using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Tests.Cuda;

namespace CharRnn.Inference.Gpu.Tests;

/// <summary>How the CUDA engine takes its <see cref="CudaPrecision"/>: the default, undefined values, models a precision cannot hold.</summary>
[TestFixtureSource(typeof(CudaRequirement), nameof(CudaRequirement.Fixtures))]
[Category("Gpu")]
[NonParallelizable]
public sealed class CudaPrecisionTests
{
    private readonly CudaBackendProvider _float32 = new();

    [OneTimeSetUp]
    public void RequireGpu() => CudaRequirement.IgnoreUnlessAvailable(_float32);

    [Test]
    public void Float32_is_the_default_precision()
    {
        Assert.That(_float32.Precision, Is.EqualTo(CudaPrecision.Float32));
        var model = SeededModels.Create(1, 16, 8, seed: 4);
        using var engine = (CudaInferenceEngine)InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [_float32] });
        Assert.Multiple(() =>
        {
            Assert.That(engine.Precision, Is.EqualTo(CudaPrecision.Float32));
            Assert.That(engine.TensorCores, Is.Null, "a float32 engine compiles and launches no tensor-core kernel");
        });
    }

    [Test]
    public void An_undefined_precision_is_rejected()
    {
        var provider = new CudaBackendProvider { Precision = (CudaPrecision)7 };
        var model = SeededModels.Create(1, 16, 8, seed: 4);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [provider] }).Dispose());
        Assert.That(error!.Message, Does.Contain("Float16"));
    }

    /// <summary>
    /// Weights up to 1e5 in magnitude: some lie beyond half precision's 65504, so a Float16 engine would compute with
    /// infinities. It is refused, naming the precisions that can hold the model; BFloat16 (float32's range) builds.
    /// </summary>
    [Test]
    public void Float16_refuses_a_model_with_weights_beyond_its_range()
    {
        var model = SeededModels.Create(1, 16, 8, seed: 4, scale: 1e5f);
        var float16 = new CudaBackendProvider { Precision = CudaPrecision.Float16 };
        var error = Assert.Throws<ModelFormatException>(() => InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [float16] }).Dispose());
        Assert.That(error!.Message, Does.Contain("65504").And.Contain("BFloat16"));
        var bfloat16 = new CudaBackendProvider { Precision = CudaPrecision.BFloat16 };
        using var engine = (CudaInferenceEngine)InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [bfloat16] });
        Assert.That(engine.Precision, Is.EqualTo(CudaPrecision.BFloat16));
    }
}
