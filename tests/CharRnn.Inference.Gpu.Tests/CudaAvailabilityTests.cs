namespace CharRnn.Inference.Gpu.Tests;

/// <summary>
/// The one test of this project that exists everywhere: skipped with the exact reason where the CUDA backend is
/// unavailable (and the GPU fixtures are then not generated), passed with the load trace where it runs.
/// </summary>
[TestFixture]
[Category("Gpu")]
public sealed class CudaAvailabilityTests
{
    [Test]
    public void The_gpu_fixtures_run_where_the_cuda_backend_is_available()
    {
        if (!CudaRequirement.IsAvailable)
        {
            Assert.Ignore($"{CudaRequirement.Reason}. The GPU fixtures of this project are not generated here.");
        }
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, CudaRequirement.Diagnostics));
    }
}
