using System.Diagnostics;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using CharRnn.Inference.Diagnostics;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CharRnn.Inference.Engine;

/// <summary>
/// A char-rnn network built on one backend. Immutable and thread-safe: share one engine across threads and give each
/// conversation its own <see cref="Generator"/> (or each batch its own <see cref="EngineSession"/>).
/// </summary>
public abstract class InferenceEngine : IGeneratorFactory, IDisposable
{
    private bool _disposed;

    /// <summary>Creates the engine's common part.</summary>
    protected InferenceEngine(NetworkWeights network, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.Count != network.Dimensions.VocabularySize)
        {
            throw new VocabularyException($"The vocabulary has {vocabulary.Count} characters but the network has {network.Dimensions.VocabularySize} classes.");
        }
        Network = network;
        Vocabulary = vocabulary;
    }

    /// <summary>The backend computing.</summary>
    public abstract Backend Backend { get; }

    /// <summary>What computes, in words (CPU model or GPU name).</summary>
    public abstract string DeviceName { get; }

    /// <summary>The converted network.</summary>
    public NetworkWeights Network { get; }

    /// <summary>The network's sizes.</summary>
    public ModelDimensions Dimensions => Network.Dimensions;

    /// <summary>The character map.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>Creates state for <paramref name="streams"/> independent streams, all starting at zero.</summary>
    public EngineSession CreateSession(int streams = 1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(streams, 1);
        return CreateSessionCore(streams);
    }

    /// <summary>Creates a generator: one conversation with its own state and sampler.</summary>
    public Generator CreateGenerator(GeneratorOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Generator(this, options ?? new GeneratorOptions());
    }

    /// <summary>Backend-specific session creation.</summary>
    protected abstract EngineSession CreateSessionCore(int streams);

    /// <summary>
    /// Builds an engine for <paramref name="model"/>. <see cref="Backend.Auto"/> tries the providers in
    /// <see cref="EngineOptions.Providers"/> in order and falls back to the CPU, logging why; a named backend that
    /// cannot run here throws <see cref="BackendUnavailableException"/> naming what is missing.
    /// </summary>
    public static InferenceEngine Create(CharRnnModel model, EngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        long start = Stopwatch.GetTimestamp();
        var engine = CreateCore(model, options ?? new EngineOptions());
        CharRnnMetrics.EngineBuildDuration.Record(Stopwatch.GetElapsedTime(start).TotalMilliseconds,
            new KeyValuePair<string, object?>(CharRnnMetrics.BackendTag, engine.Backend.ToString()));
        return engine;
    }

    private static InferenceEngine CreateCore(CharRnnModel model, EngineOptions options)
    {
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<InferenceEngine>();
        var network = TfToTrtWeightConverter.Convert(model, options.Conversion);

        if (options.Backend == Backend.Cpu)
        {
            Log.BackendSelected(logger, Backend.Cpu, "requested");
            return new CpuInferenceEngine(network, model.Vocabulary, options.Cpu);
        }
        if (options.Backend == Backend.Auto)
        {
            foreach (var provider in options.Providers)
            {
                if (provider.IsAvailable(out string reason, out _))
                {
                    Log.BackendSelected(logger, provider.Backend, "available");
                    return provider.Create(network, model.Vocabulary, options);
                }
                Log.BackendFallback(logger, provider.Backend, reason);
            }
            Log.BackendSelected(logger, Backend.Cpu, options.Providers.Count == 0 ? "no GPU backend configured" : "no GPU backend available");
            return new CpuInferenceEngine(network, model.Vocabulary, options.Cpu);
        }
        var named = options.Providers.FirstOrDefault(p => p.Backend == options.Backend)
            ?? throw new BackendUnavailableException(options.Backend,
                $"Backend {options.Backend} was requested but its package is not referenced: add CharRnn.Inference.{options.Backend} and pass its provider in EngineOptions.Providers.", []);
        Log.BackendSelected(logger, named.Backend, "requested");
        return named.Create(network, model.Vocabulary, options);
    }

    /// <summary>Releases native resources.</summary>
    protected virtual void Dispose(bool disposing) { }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Whether <see cref="Dispose()"/> ran.</summary>
    protected bool IsDisposed => _disposed;
}
