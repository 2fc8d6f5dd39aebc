using CharRnn.Inference.Engine;

namespace CharRnn.Cli;

/// <summary>The GPU backends the tool can use; <c>--backend auto</c> tries them in this order and falls back to the CPU.</summary>
internal static class BackendProviders
{
    /// <summary>
    /// Every backend provider this build references. Empty until a GPU package is referenced, so that
    /// <c>--backend cuda</c> and <c>--backend tensorrt</c> fail with <see cref="Inference.BackendUnavailableException"/>.
    /// </summary>
    public static IReadOnlyList<IBackendProvider> All() => [];
}
