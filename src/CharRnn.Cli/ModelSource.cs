using System.Diagnostics;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;
using Microsoft.Extensions.Logging;

namespace CharRnn.Cli;

/// <summary>
/// Loads the model a command names (or the embedded default, by <see cref="ModelOrDefault"/>'s rule, which the hosting
/// package shares) and builds its engine, logging how long each took.
/// </summary>
internal static class ModelSource
{
    public const string EmbeddedName = ModelOrDefault.EmbeddedName;

    public static CharRnnModel Load(string? modelPath, string? vocabPath, bool allowNonFinite, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger(typeof(ModelSource));
        CliLog.LoadingModel(logger, ModelOrDefault.Describe(modelPath));
        long start = Stopwatch.GetTimestamp();
        var model = ModelOrDefault.Load(modelPath, vocabPath, loggerFactory, CliOptions.NonFinitePolicy(allowNonFinite));
        CliLog.ModelReady(logger, Stopwatch.GetElapsedTime(start).TotalMilliseconds, model.Dimensions.ToString());
        return model;
    }

    public static InferenceEngine CreateEngine(CharRnnModel model, Backend backend, float forgetBias, ILoggerFactory loggerFactory, CliProgress progress)
    {
        long start = Stopwatch.GetTimestamp();
        // A GPU engine compiles its kernels here (seconds when the kernel cache is cold).
        progress.Begin("building the engine");
        var engine = InferenceEngine.Create(model, Options(backend, forgetBias, loggerFactory));
        return Ready(engine, start, loggerFactory, progress);
    }

    /// <summary>
    /// Builds the engine as <see cref="CreateEngine"/> does, showing each step, and stops between steps when
    /// <paramref name="cancellationToken"/> is cancelled (Ctrl+C during a long kernel or plan build).
    /// </summary>
    public static async Task<InferenceEngine> CreateEngineAsync(CharRnnModel model, Backend backend, float forgetBias, ILoggerFactory loggerFactory,
        CliProgress progress, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        var steps = new StepReporter(progress);
        var engine = await InferenceEngine.CreateAsync(model, Options(backend, forgetBias, loggerFactory), steps, cancellationToken).ConfigureAwait(false);
        return Ready(engine, start, loggerFactory, progress);
    }

    private static EngineOptions Options(Backend backend, float forgetBias, ILoggerFactory loggerFactory) => new()
    {
        Backend = backend,
        Conversion = new ConversionOptions { ForgetBias = forgetBias },
        Providers = BackendProviders.All(),
        LoggerFactory = loggerFactory,
    };

    private static InferenceEngine Ready(InferenceEngine engine, long start, ILoggerFactory loggerFactory, CliProgress progress)
    {
        progress.Done($"{engine.Backend} engine ready", Stopwatch.GetElapsedTime(start));
        CliLog.EngineReady(loggerFactory.CreateLogger(typeof(ModelSource)), engine.Backend, engine.DeviceName, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        return engine;
    }

    // Synchronous on purpose, as CliProgress's counter: Progress<T> would draw on the thread pool, after the step ended.
    private sealed class StepReporter(CliProgress progress) : IProgress<EngineBuildProgress>
    {
        public void Report(EngineBuildProgress value)
        {
            if (value.Stage != EngineBuildStage.Ready)
            {
                progress.Begin(value.Description);
            }
        }
    }

    /// <summary>Loads the tensors inference needs (optimizer slots and scalars are counted, not read).</summary>
    public static WeightSet LoadWeights(string? modelPath, bool allowNonFinite, ILoggerFactory loggerFactory)
    {
        CliLog.LoadingModel(loggerFactory.CreateLogger(typeof(ModelSource)), modelPath ?? EmbeddedName);
        return modelPath is null
            ? TinyShakespeareModel.Load(loggerFactory).Weights
            : WeightLoader.Load(modelPath, new WeightLoadOptions { Include = TfVariableNames.IsInferenceTensor, NonFiniteWeights = CliOptions.NonFinitePolicy(allowNonFinite) },
                loggerFactory.CreateLogger(typeof(ModelSource)));
    }

    /// <summary>
    /// Builds the model to check that the tensors form one, also when no vocabulary is known: a model whose class count is
    /// not sampleCharRNN's 65 then gets placeholder characters, since its sizes do not depend on which characters they are.
    /// </summary>
    /// <returns>The model and how its vocabulary was found, in words.</returns>
    public static (CharRnnModel Model, string Vocabulary) BuildForInspection(WeightSet weights, string? vocabPath, ILoggerFactory loggerFactory)
    {
        if (vocabPath is not null)
        {
            var fromFile = CharRnnModel.FromWeights(weights, new ModelLoadOptions { VocabularyPath = vocabPath }, loggerFactory);
            return (fromFile, $"{fromFile.Vocabulary.Count} characters from {vocabPath}");
        }
        // The softmax bias holds one value per class in every format (V1 files store no shapes).
        int classes = weights.TryGet(TfVariableNames.SoftmaxBias, out var softmaxBias) && softmaxBias.Shape.Count == 1 ? softmaxBias.Shape[0] : 0;
        if (classes == Vocabulary.SampleCharRnn.Count || classes is <= 0 or > char.MaxValue + 1)
        {
            // 65 classes get sampleCharRNN's map; an impossible count is left to FromWeights to report.
            var model = CharRnnModel.FromWeights(weights, new ModelLoadOptions(), loggerFactory);
            return (model, $"sampleCharRNN's built-in {model.Vocabulary.Count}-character map (pass --vocab for the model's own vocab.json)");
        }
        var placeholder = new Vocabulary(Enumerable.Range(0, classes).Select(i => (char)i));
        return (CharRnnModel.FromWeights(weights, new ModelLoadOptions { Vocabulary = placeholder }, loggerFactory),
            $"not given ({classes} classes; pass --vocab with the model's vocab.json to generate or score)");
    }
}
