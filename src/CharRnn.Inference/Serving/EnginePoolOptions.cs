using CharRnn.Inference.Engine;

namespace CharRnn.Inference.Serving;

/// <summary>The devices of an <see cref="EnginePool"/> and how many streams each batches. Immutable.</summary>
public sealed record EnginePoolOptions
{
    private readonly int _streamsPerDevice = 256;
    private readonly int _maxQueuedRequestsPerDevice = 4096;

    /// <summary>
    /// One entry per device: builds that device's engine, once, when the pool starts; the pool owns and disposes it. All
    /// must build the same model. For the GPUs of a host, one CUDA engine per device ordinal
    /// (<c>() =&gt; InferenceEngine.Create(model, new EngineOptions { Backend = Backend.Cuda, Providers = [new CudaBackendProvider(i)] })</c>);
    /// several CPU engines stand in for devices where there is no GPU.
    /// </summary>
    public IReadOnlyList<Func<InferenceEngine>> Devices { get; init; } = [];

    /// <summary>Streams each device's scheduler steps together (<see cref="SchedulerOptions.MaxStreams"/>): its capacity.</summary>
    public int StreamsPerDevice
    {
        get => _streamsPerDevice;
        init => _streamsPerDevice = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(StreamsPerDevice), value, "At least one stream per device.");
    }

    /// <summary>Calls each device queues when all its streams are busy (<see cref="SchedulerOptions.MaxQueuedRequests"/>).</summary>
    public int MaxQueuedRequestsPerDevice
    {
        get => _maxQueuedRequestsPerDevice;
        init => _maxQueuedRequestsPerDevice = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxQueuedRequestsPerDevice), value, "Not negative.");
    }
}
