namespace CharRnn.Inference.Serving;

/// <summary>How a <see cref="GenerationScheduler"/> sizes its batch, queue and output buffers. Immutable.</summary>
public sealed record SchedulerOptions
{
    private readonly int _maxStreams = 256;
    private readonly int _maxQueuedRequests = 4096;
    private readonly int _outputBufferSize = 4096;

    /// <summary>
    /// The most streams stepped together: the batched session's size. Calls beyond it wait in the queue, first come first
    /// served, and are admitted between steps as streams finish.
    /// </summary>
    public int MaxStreams
    {
        get => _maxStreams;
        init => _maxStreams = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(MaxStreams), value, "At least one stream.");
    }

    /// <summary>
    /// The most calls waiting for a stream when all <see cref="MaxStreams"/> are busy; one more is refused with
    /// <see cref="SchedulerFullException"/>. 0 refuses whenever every stream is busy.
    /// </summary>
    public int MaxQueuedRequests
    {
        get => _maxQueuedRequests;
        init => _maxQueuedRequests = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxQueuedRequests), value, "Not negative.");
    }

    /// <summary>
    /// Characters a stream may generate ahead of its reader in <see cref="Generation.Generator.Generate"/>. When a reader
    /// falls this far behind, its stream leaves the batch (its state is kept) until the reader catches up, so a slow
    /// reader never stalls the others. Streaming (<see cref="Generation.Generator.GenerateAsync"/>) runs at most two
    /// chunks ahead of its reader.
    /// </summary>
    public int OutputBufferSize
    {
        get => _outputBufferSize;
        init => _outputBufferSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(OutputBufferSize), value, "At least one character.");
    }
}
