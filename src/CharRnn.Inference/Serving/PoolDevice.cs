using CharRnn.Inference.Engine;

namespace CharRnn.Inference.Serving;

/// <summary>One device of an <see cref="EnginePool"/>: its engine, its scheduler and the conversations placed on it.</summary>
/// <remarks>State and the conversation set are guarded by the pool's lock; <see cref="State"/> is also read without it.</remarks>
internal sealed class PoolDevice(int index, InferenceEngine engine, GenerationScheduler scheduler)
{
    private volatile PoolDeviceState _state = PoolDeviceState.Active;

    public int Index { get; } = index;

    public InferenceEngine Engine { get; } = engine;

    public GenerationScheduler Scheduler { get; } = scheduler;

    public PoolDeviceState State
    {
        get => _state;
        set => _state = value;
    }

    /// <summary>Pool lock: the conversations placed here.</summary>
    public HashSet<PooledStream> Conversations { get; } = [];

    /// <summary>Pool lock: completes when a draining device has no conversation left.</summary>
    public TaskCompletionSource? Drained { get; set; }

    /// <summary>Whether the scheduler stopped although the pool did not stop it: the engine failed (or was disposed).</summary>
    public bool HasFailed => Scheduler.HasStopped && State is PoolDeviceState.Active or PoolDeviceState.Draining;

    /// <summary>Stops the scheduler, then the engine (the scheduler's loop must end before its engine goes).</summary>
    public void Close()
    {
        Scheduler.Dispose();
        Engine.Dispose();
    }
}
