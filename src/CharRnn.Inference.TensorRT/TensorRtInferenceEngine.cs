using System.Collections.Concurrent;
using System.Diagnostics;
using CharRnn.Bindings.Cuda;
using CharRnn.Bindings.TensorRT;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.TensorRT.Conversion;
using CharRnn.Inference.TensorRT.Plans;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CharRnn.Inference.TensorRT;

/// <summary>
/// The char-rnn network as TensorRT engines (one per stream count, built on first use and cached as serialized plans).
/// Immutable and thread-safe: sessions get their own execution context, stream and state.
/// </summary>
/// <remarks>
/// Each engine runs one time step per enqueue (the seed's shape); state stays in device memory and moves between
/// steps by swapping tensor addresses. Greedy generation feeds the network's TopK output straight back on the device;
/// temperature/top-k/top-p sampling runs <see cref="CudaTokenSampler"/> (the CUDA engine's sampling kernel) on the
/// logits in device memory and feeds its tokens back, so no logits reach the host while generating. Device memory,
/// streams and the primary context come from CharRnn.Bindings.Cuda.
/// </remarks>
public sealed class TensorRtInferenceEngine : InferenceEngine
{
    /// <summary>Time steps per enqueue in the built engines.</summary>
    internal const int StepsPerEnqueue = 1;

    private readonly TensorRtBackendOptions _options;
    private readonly ILogger _logger;
    private readonly TensorRtLogger _tensorRtLogger;
    private readonly TensorRtInferRuntime _runtime;
    private readonly PlanCache? _cache;
    private readonly string _weightsDigest;
    private readonly ConcurrentDictionary<int, Lazy<TensorRtEngine>> _engines = new();

    internal TensorRtInferenceEngine(NetworkWeights network, Vocabulary vocabulary, EngineOptions engineOptions, TensorRtBackendOptions options)
        : base(network, vocabulary)
    {
        _options = options;
        var factory = engineOptions.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = factory.CreateLogger<TensorRtInferenceEngine>();
        foreach (string warning in TensorRtRuntime.Warnings)
        {
            Log.LoadWarning(_logger, warning);
        }
        Version = TensorRtRuntime.LibraryVersion ?? throw new InvalidOperationException("TensorRT is not initialized.");
        LoggerFactory = factory;
        Device = CudaDevice.Get(options.Device);
        // TensorRT works in the runtime API's context, which is the device's primary context: retained here, so that
        // driver-API memory and streams made in it are usable by TensorRT.
        Context = CudaContext.RetainPrimary(Device);
        try
        {
            _tensorRtLogger = new TensorRtLogger(factory.CreateLogger("CharRnn.Inference.TensorRT.Native"));
            _runtime = new TensorRtInferRuntime(_tensorRtLogger);
        }
        catch (TensorRtException e)
        {
            Context.Dispose();
            throw new TensorRtBackendException($"Could not start TensorRT {Version}: {e.Message}", e);
        }
        _cache = options.ResolvedPlanCacheDirectory is { } directory ? new PlanCache(directory) : null;
        _weightsDigest = PlanCacheKey.DigestWeights(network);
    }

    /// <inheritdoc />
    public override Backend Backend => Backend.TensorRT;

    /// <inheritdoc />
    public override string DeviceName => $"{Device.Name} (sm {Device.ComputeCapability}), TensorRT {Version}";

    /// <summary>The TensorRT library in use.</summary>
    public TensorRtVersion Version { get; }

    internal CudaDevice Device { get; }

    internal CudaContext Context { get; }

    internal ILoggerFactory LoggerFactory { get; }

    /// <inheritdoc />
    protected override EngineSession CreateSessionCore(int streams)
    {
        var lazy = _engines.GetOrAdd(streams, s => new Lazy<TensorRtEngine>(() => LoadOrBuild(s)));
        TensorRtEngine engine;
        try
        {
            engine = lazy.Value;
        }
        catch (Exception e)
        {
            // Lazy keeps its exception: forget it so that a later session may try again.
            _engines.TryRemove(new KeyValuePair<int, Lazy<TensorRtEngine>>(streams, lazy));
            if (e is CudaException or NvrtcException)
            {
                throw new TensorRtBackendException($"Could not build the TensorRT engine for {streams} stream(s): {e.Message}", e);
            }
            throw;
        }
        return new TensorRtEngineSession(this, engine, streams);
    }

    internal PlanCacheKey KeyFor(int streams) =>
        new(_weightsDigest, Version.ToString(), Device.ComputeCapability.ToString(), _options.Precision, streams, StepsPerEnqueue);

    private TensorRtEngine LoadOrBuild(int streams)
    {
        Context.MakeCurrent();
        var key = KeyFor(streams);
        if (_cache?.TryRead(key) is { } cached)
        {
            try
            {
                var engine = _runtime.DeserializeEngine(cached);
                Log.PlanLoaded(_logger, streams, _cache.PathOf(key));
                return engine;
            }
            catch (TensorRtException e)
            {
                // Another TensorRT build or GPU wrote it, or it is damaged: rebuild (FACTS.md section 4).
                Log.PlanRejected(_logger, _cache.PathOf(key), e.NativeMessage);
                _cache.Delete(key);
            }
        }
        try
        {
            var clock = Stopwatch.StartNew();
            byte[] plan = Build(streams);
            Log.PlanBuilt(_logger, streams, clock.ElapsedMilliseconds, plan.Length);
            if (_cache is not null)
            {
                try
                {
                    _cache.Write(key, plan);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    Log.PlanCacheWriteFailed(_logger, _cache.PathOf(key), e.Message);
                }
            }
            return _runtime.DeserializeEngine(plan);
        }
        catch (TensorRtException e)
        {
            throw new TensorRtBackendException($"Building the TensorRT engine for {Dimensions} with {streams} stream(s) failed: {e.Message}", e);
        }
    }

    private byte[] Build(int streams)
    {
        var description = CharRnnNetworkBuilder.Describe(Network, streams, StepsPerEnqueue);
        using var builder = new TensorRtBuilder(_tensorRtLogger);
        using var network = builder.CreateNetwork();
        TrtNetworkEmitter.Emit(description, network);
        using var config = builder.CreateConfig();
        config.SetTf32(_options.Precision == TensorRtPrecision.Tf32);
        return builder.BuildSerializedNetwork(network, config);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var engine in _engines.Values.Where(e => e.IsValueCreated))
            {
                engine.Value.Dispose();
            }
            _runtime.Dispose();
            _tensorRtLogger.Dispose();
            Context.Dispose();
        }
    }
}
