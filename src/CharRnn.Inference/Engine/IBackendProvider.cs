using CharRnn.Inference.Conversion;
using CharRnn.Inference.Model;

namespace CharRnn.Inference.Engine;

/// <summary>
/// Creates engines of one backend. GPU packages provide one (for example <c>CudaBackendProvider</c>); pass it in
/// <see cref="EngineOptions.Providers"/> so that <see cref="InferenceEngine.Create"/> can use it.
/// </summary>
public interface IBackendProvider
{
    /// <summary>The backend this provider creates.</summary>
    Backend Backend { get; }

    /// <summary>
    /// Whether <see cref="Backend.Auto"/> may pick this provider (default true). A backend that should run only when
    /// asked for by name (one not yet proven on real hardware, for example) returns false: Auto then skips it without
    /// probing, and <see cref="EngineOptions.Backend"/> naming it still uses it.
    /// </summary>
    bool IsAutoCandidate => true;

    /// <summary>
    /// Checks, without throwing, whether the backend can run here (libraries load, a device exists). On failure
    /// <paramref name="diagnostics"/> lists every attempt and <paramref name="reason"/> says what is missing.
    /// </summary>
    bool IsAvailable(out string reason, out IReadOnlyList<string> diagnostics);

    /// <summary>Builds an engine; throws <see cref="BackendUnavailableException"/> when the backend cannot run here.</summary>
    InferenceEngine Create(NetworkWeights network, Vocabulary vocabulary, EngineOptions options);
}
