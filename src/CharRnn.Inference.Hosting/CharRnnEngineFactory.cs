using System.Diagnostics;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Hosting;

/// <summary>Builds the container's engine from the validated options and the registered providers.</summary>
internal static class CharRnnEngineFactory
{
    public static InferenceEngine Create(CharRnnOptions options, IEnumerable<IBackendProvider> providers, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger(typeof(CharRnnEngineFactory));
        long start = Stopwatch.GetTimestamp();
        // Load, not TinyShakespeareModel.Instance: the model is only needed until conversion, so nothing keeps it alive.
        var model = options.ModelPath is null
            ? TinyShakespeareModel.Load(loggerFactory)
            : CharRnnModel.Load(options.ModelPath, new ModelLoadOptions { VocabularyPath = options.VocabularyPath }, loggerFactory);
        var engine = InferenceEngine.Create(model, new EngineOptions
        {
            Backend = options.Backend,
            Conversion = new ConversionOptions { ForgetBias = options.ForgetBias },
            Providers = [.. providers],
            LoggerFactory = loggerFactory,
        });
        Log.EngineReady(logger, options.ModelPath ?? "the embedded default model", engine.Backend, engine.DeviceName,
            Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        return engine;
    }
}
