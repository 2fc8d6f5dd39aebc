using System.Diagnostics;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Hosting;

/// <summary>Builds the container's engine from the validated options and the registered providers.</summary>
internal static class CharRnnEngineFactory
{
    public static InferenceEngine Create(CharRnnOptions options, IEnumerable<IBackendProvider> providers, ILoggerFactory loggerFactory)
    {
        var logger = loggerFactory.CreateLogger(typeof(CharRnnEngineFactory));
        long start = Stopwatch.GetTimestamp();
        // The CLI's rule (ModelOrDefault): the named file, else a fresh copy of the embedded model, which nothing keeps
        // alive once converted.
        var engine = ModelOrDefault.CreateEngine(options.ModelPath, options.VocabularyPath, new EngineOptions
        {
            Backend = options.Backend,
            Conversion = new ConversionOptions { ForgetBias = options.ForgetBias },
            Providers = [.. providers],
            LoggerFactory = loggerFactory,
        });
        Log.EngineReady(logger, ModelOrDefault.Describe(options.ModelPath), engine.Backend, engine.DeviceName,
            Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        return engine;
    }
}
