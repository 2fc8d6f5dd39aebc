using System.Diagnostics;
using CharRnn.Inference.Conversion;
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
    private readonly Lazy<ModelFingerprint> _fingerprint;
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
        _fingerprint = new(() => ModelFingerprint.Of(network, vocabulary));
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

    /// <summary>
    /// The model this engine computes (weights, dimensions, vocabulary), the same on every engine of that model whatever
    /// its backend: snapshots restore only on engines with their fingerprint. Computed once, when first asked for (one
    /// pass over the weights).
    /// </summary>
    public ModelFingerprint ModelFingerprint => _fingerprint.Value;

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
    /// <see cref="EngineOptions.Providers"/> in order (those that are <see cref="IBackendProvider.IsAutoCandidate"/>s)
    /// and falls back to the CPU (<see cref="Cpu.CpuBackendProvider"/>, always available), logging why; a named backend that cannot run here throws
    /// <see cref="BackendUnavailableException"/> naming what is missing.
    /// </summary>
    /// <returns>A new engine, owned by the caller, who disposes it.</returns>
    public static InferenceEngine Create(CharRnnModel model, EngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new EngineOptions();
        using var build = new BuildScope(model, options);
        try
        {
            var network = EngineBuilder.Convert(model, options);
            return build.Done(EngineBuilder.Build(network, model.Vocabulary, options, build.Logger));
        }
        catch (Exception e)
        {
            build.Failed(e);
            throw;
        }
    }

    /// <summary>
    /// Builds an engine as <see cref="Create"/> does, off the calling thread, reporting each step to
    /// <paramref name="progress"/> (<see cref="EngineBuildStage.Converting"/>, <see cref="EngineBuildStage.Building"/>,
    /// <see cref="EngineBuildStage.Ready"/>). <paramref name="cancellationToken"/> is honoured before the conversion,
    /// between it and the backend build, and after the build (the engine is then disposed); a backend build already
    /// running (a kernel compilation, a TensorRT plan) runs to its end first.
    /// </summary>
    /// <returns>A new engine, owned by the caller, who disposes it.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; nothing is left to dispose.</exception>
    public static async Task<InferenceEngine> CreateAsync(CharRnnModel model, EngineOptions? options = null,
        IProgress<EngineBuildProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new EngineOptions();
        cancellationToken.ThrowIfCancellationRequested();
        using var build = new BuildScope(model, options);
        try
        {
            progress?.Report(new EngineBuildProgress(EngineBuildStage.Converting, "converting the weights"));
            var network = await Task.Run(() => EngineBuilder.Convert(model, options), cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();

            progress?.Report(new EngineBuildProgress(EngineBuildStage.Building, EngineBuilder.DescribeBuild(options)));
            var engine = await Task.Run(() => EngineBuilder.Build(network, model.Vocabulary, options, build.Logger), cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                engine.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
            }
            build.Done(engine);
            progress?.Report(new EngineBuildProgress(EngineBuildStage.Ready, $"{engine.Backend} engine ready ({engine.DeviceName})"));
            return engine;
        }
        catch (Exception e)
        {
            build.Failed(e);
            throw;
        }
    }

    // The telemetry of one build: its span (charrnn.engine.build) and, once it succeeds, the build-time metric.
    private readonly struct BuildScope : IDisposable
    {
        private readonly long _start;
        private readonly Activity? _activity;

        public BuildScope(CharRnnModel model, EngineOptions options)
        {
            _start = Stopwatch.GetTimestamp();
            _activity = CharRnnActivities.StartEngineBuild(options.Backend, model.Dimensions);
            Logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<InferenceEngine>();
        }

        public ILogger Logger { get; }

        public InferenceEngine Done(InferenceEngine engine)
        {
            CharRnnActivities.EngineBuilt(_activity, engine);
            CharRnnMetrics.EngineBuildDuration.Record(Stopwatch.GetElapsedTime(_start).TotalMilliseconds,
                new KeyValuePair<string, object?>(CharRnnMetrics.BackendTag, engine.Backend.ToString()));
            return engine;
        }

        public void Failed(Exception exception) => CharRnnActivities.Failed(_activity, exception);

        public void Dispose() => _activity?.Dispose();
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

    internal bool IsDisposedInternal => Volatile.Read(ref _disposed);
}
