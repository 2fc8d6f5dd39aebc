using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.TensorRT;

namespace CharRnn.Cli;

/// <summary>
/// The GPU backends the tool can use. <c>--backend auto</c> tries CUDA and falls back to the CPU; TensorRT runs only when
/// named (<c>--backend tensorrt</c>), since its provider is not an <see cref="IBackendProvider.IsAutoCandidate"/>.
/// </summary>
internal static class BackendProviders
{
    /// <summary>
    /// Every backend provider this build references, in <c>auto</c>'s order. A provider that cannot run here makes
    /// <c>--backend</c> naming it fail with <see cref="Inference.BackendUnavailableException"/>, and <c>auto</c> skip it.
    /// </summary>
    public static IReadOnlyList<IBackendProvider> All() => [new CudaBackendProvider(), new TensorRtBackendProvider()];
}
