using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.DefaultModel;

/// <summary>
/// "A model file if one is named, else the embedded default model, then its engine": the rule the <c>charrnn</c> tool
/// and the hosting package (CharRnn.Inference.Hosting) share, so that both load and build the same way.
/// </summary>
public static class ModelOrDefault
{
    /// <summary>How logs and messages name the embedded model.</summary>
    public const string EmbeddedName = "the embedded default model";

    /// <summary>The model's name in logs: <paramref name="modelPath"/>, or <see cref="EmbeddedName"/> when it is null.</summary>
    public static string Describe(string? modelPath) => modelPath ?? EmbeddedName;

    /// <summary>
    /// Loads <paramref name="modelPath"/> (a <c>.wts</c> file, V1 or V2, or a TensorFlow checkpoint prefix) with its
    /// <c>vocab.json</c> (<paramref name="vocabularyPath"/>; null uses sampleCharRNN's map), or, when
    /// <paramref name="modelPath"/> is null, a fresh copy of the embedded <see cref="TinyShakespeareModel"/> (which has
    /// its own map: a vocabulary path is then refused).
    /// </summary>
    /// <returns>The model; nothing to dispose. A fresh copy, so that nothing keeps it alive once its engine is built.</returns>
    /// <exception cref="ArgumentException">A vocabulary path without a model path.</exception>
    /// <exception cref="CharRnnException">The file is unreadable or does not hold a char-rnn model (a subclass says which).</exception>
    /// <param name="modelPath">The model file or checkpoint prefix; null for the embedded model.</param>
    /// <param name="vocabularyPath">The model's <c>vocab.json</c>; null for sampleCharRNN's map.</param>
    /// <param name="loggerFactory">Where logs go; null logs nothing.</param>
    /// <param name="nonFiniteWeights">What to do with NaN or infinite weights in the named file (the embedded model has none).</param>
    public static CharRnnModel Load(string? modelPath, string? vocabularyPath = null, ILoggerFactory? loggerFactory = null,
        NonFiniteWeightPolicy nonFiniteWeights = NonFiniteWeightPolicy.Throw)
    {
        if (modelPath is null)
        {
            return vocabularyPath is null
                ? TinyShakespeareModel.Load(loggerFactory)
                : throw new ArgumentException(
                    $"A vocabulary ('{vocabularyPath}') was given without a model path: {EmbeddedName} has its own character map. Name the model file too, or drop the vocabulary.",
                    nameof(vocabularyPath));
        }
        return CharRnnModel.Load(modelPath, new ModelLoadOptions { VocabularyPath = vocabularyPath, NonFiniteWeights = nonFiniteWeights }, loggerFactory);
    }

    /// <summary>
    /// Loads the model as <see cref="Load"/> does and builds its engine with <see cref="InferenceEngine.CreateAsync"/>,
    /// reporting <see cref="EngineBuildStage.Loading"/> and then the build's steps to <paramref name="progress"/>.
    /// <paramref name="cancellationToken"/> is honoured before loading, between loading and conversion, and wherever
    /// <see cref="InferenceEngine.CreateAsync"/> honours it.
    /// </summary>
    /// <returns>A new engine, owned by the caller, who disposes it.</returns>
    public static async Task<InferenceEngine> CreateEngineAsync(string? modelPath, string? vocabularyPath, EngineOptions? options = null,
        IProgress<EngineBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(new EngineBuildProgress(EngineBuildStage.Loading, $"loading {Describe(modelPath)}"));
        var model = await Task.Run(() => Load(modelPath, vocabularyPath, options?.LoggerFactory), cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return await InferenceEngine.CreateAsync(model, options, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The synchronous form of <see cref="CreateEngineAsync"/>, for callers that cannot await (container factories).</summary>
    /// <returns>A new engine, owned by the caller, who disposes it.</returns>
    public static InferenceEngine CreateEngine(string? modelPath, string? vocabularyPath, EngineOptions? options = null) =>
        InferenceEngine.Create(Load(modelPath, vocabularyPath, options?.LoggerFactory), options);
}
