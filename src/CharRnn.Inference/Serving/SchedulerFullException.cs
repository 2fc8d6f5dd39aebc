namespace CharRnn.Inference.Serving;

/// <summary>
/// A <see cref="GenerationScheduler"/> refused a call: every stream is busy and the queue holds
/// <see cref="SchedulerOptions.MaxQueuedRequests"/> calls. Retry later, or raise the limits.
/// </summary>
public sealed class SchedulerFullException : CharRnnException
{
    /// <summary>Creates the exception for a scheduler of these limits.</summary>
    public SchedulerFullException(int maxStreams, int maxQueuedRequests)
        : base($"The generation scheduler is full: all {maxStreams} streams are busy and {maxQueuedRequests} calls are queued. " +
               "Retry later, or raise SchedulerOptions.MaxStreams or MaxQueuedRequests.")
    {
        MaxStreams = maxStreams;
        MaxQueuedRequests = maxQueuedRequests;
    }

    /// <summary>The scheduler's <see cref="SchedulerOptions.MaxStreams"/>.</summary>
    public int MaxStreams { get; }

    /// <summary>The scheduler's <see cref="SchedulerOptions.MaxQueuedRequests"/>.</summary>
    public int MaxQueuedRequests { get; }
}
