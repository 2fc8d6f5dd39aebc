using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.TensorRT;

namespace CharRnn.Cli;

/// <summary>The GPU backends the tool can use; <c>--backend auto</c> tries them in this order and falls back to the CPU.</summary>
internal static class BackendProviders
{
    /// <summary>
    /// Every backend provider this build references, fastest first. A provider that cannot run here makes
    /// <c>--backend</c> naming it fail with <see cref="Inference.BackendUnavailableException"/>, and <c>auto</c> skip it.
    /// </summary>
    public static IReadOnlyList<IBackendProvider> All() => [new TensorRtBackendProvider(), new CudaBackendProvider()];
}
