using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.Model;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Engine;

/// <summary>
/// The two steps of <see cref="InferenceEngine.Create"/> and <see cref="InferenceEngine.CreateAsync"/>: convert the
/// weights, then choose a backend and build on it.
/// </summary>
internal static class EngineBuilder
{
    public static NetworkWeights Convert(CharRnnModel model, EngineOptions options) =>
        TfToTrtWeightConverter.Convert(model, options.Conversion);

    /// <summary>What <see cref="Build"/> is about to do, in words.</summary>
    public static string DescribeBuild(EngineOptions options) => options.Backend switch
    {
        Backend.Auto => "choosing a backend and building the engine",
        var named => $"building the {named} engine",
    };

    /// <summary>
    /// <see cref="Backend.Auto"/> tries the auto candidates among the providers in order and falls back to the CPU,
    /// logging why; a named backend that cannot run here throws <see cref="BackendUnavailableException"/>.
    /// </summary>
    public static InferenceEngine Build(NetworkWeights network, Vocabulary vocabulary, EngineOptions options, ILogger logger)
    {
        var cpu = options.Providers.FirstOrDefault(p => p.Backend == Backend.Cpu) ?? new CpuBackendProvider();
        if (options.Backend == Backend.Auto)
        {
            var candidates = options.Providers.Where(p => p.Backend != Backend.Cpu && p.IsAutoCandidate).ToArray();
            foreach (var provider in candidates)
            {
                if (provider.IsAvailable(out string reason, out _))
                {
                    Log.BackendSelected(logger, provider.Backend, "available");
                    return provider.Create(network, vocabulary, options);
                }
                Log.BackendFallback(logger, provider.Backend, reason);
            }
            Log.BackendSelected(logger, Backend.Cpu, candidates.Length > 0 ? "no GPU backend available" : "no GPU backend configured");
            return cpu.Create(network, vocabulary, options);
        }
        var named = options.Backend == Backend.Cpu ? cpu
            : options.Providers.FirstOrDefault(p => p.Backend == options.Backend)
            ?? throw new BackendUnavailableException(options.Backend,
                $"Backend {options.Backend} was requested but its package is not referenced: add CharRnn.Inference.{options.Backend} and pass its provider in EngineOptions.Providers.", []);
        Log.BackendSelected(logger, named.Backend, "requested");
        return named.Create(network, vocabulary, options);
    }
}
