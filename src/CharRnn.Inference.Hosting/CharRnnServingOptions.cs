namespace CharRnn.Inference.Hosting;

/// <summary>
/// How the container serves generators (<see cref="CharRnnOptions.Serving"/>): by default every generator resolved
/// through <see cref="Generation.IGeneratorFactory"/> runs in one shared batch (a <see cref="Serving.GenerationScheduler"/>),
/// so that concurrent requests get the engine's batched throughput.
/// </summary>
public sealed class CharRnnServingOptions
{
    /// <summary>
    /// Whether generators share a batch (the default). False gives every generator a session of its own, as
    /// <see cref="Engine.InferenceEngine.CreateGenerator"/> does.
    /// </summary>
    public bool Batching { get; set; } = true;

    /// <summary>The most streams stepped together (<see cref="Serving.SchedulerOptions.MaxStreams"/>).</summary>
    public int MaxStreams { get; set; } = new Serving.SchedulerOptions().MaxStreams;

    /// <summary>The most calls waiting when every stream is busy (<see cref="Serving.SchedulerOptions.MaxQueuedRequests"/>).</summary>
    public int MaxQueuedRequests { get; set; } = new Serving.SchedulerOptions().MaxQueuedRequests;

    /// <summary>Characters a stream may run ahead of its reader (<see cref="Serving.SchedulerOptions.OutputBufferSize"/>).</summary>
    public int OutputBufferSize { get; set; } = new Serving.SchedulerOptions().OutputBufferSize;
}
