using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;

namespace CharRnn.Inference.Cpu;

/// <summary>
/// Creates <see cref="CpuInferenceEngine"/>s. Always available; <see cref="InferenceEngine.Create"/> uses it for
/// <see cref="Backend.Cpu"/> and as the fallback of <see cref="Backend.Auto"/>, so it need not be listed in
/// <see cref="EngineOptions.Providers"/>. Thread-safe.
/// </summary>
public sealed class CpuBackendProvider : IBackendProvider
{
    /// <inheritdoc />
    public Backend Backend => Backend.Cpu;

    /// <inheritdoc />
    public bool IsAvailable(out string reason, out IReadOnlyList<string> diagnostics)
    {
        reason = "";
        diagnostics = [];
        return true;
    }

    /// <inheritdoc />
    public InferenceEngine Create(NetworkWeights network, Vocabulary vocabulary, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(options);
        return new CpuInferenceEngine(network, vocabulary, options.Cpu);
    }
}
