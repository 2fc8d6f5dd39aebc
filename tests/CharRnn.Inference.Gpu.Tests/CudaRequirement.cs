using CharRnn.Inference.Cuda;

namespace CharRnn.Inference.Gpu.Tests;

/// <summary>The GPU fixtures' precondition: where the CUDA backend is unavailable (CI), the fixture is ignored with the provider's exact reason.</summary>
internal static class CudaRequirement
{
    /// <summary>Ignores the calling fixture unless <paramref name="provider"/> can run; returns its diagnostics when it can.</summary>
    public static IReadOnlyList<string> IgnoreUnlessAvailable(CudaBackendProvider provider)
    {
        if (!provider.IsAvailable(out string reason, out var diagnostics))
        {
            Assert.Ignore($"CUDA backend unavailable: {reason} ({string.Join("; ", diagnostics)})");
        }
        return diagnostics;
    }
}
