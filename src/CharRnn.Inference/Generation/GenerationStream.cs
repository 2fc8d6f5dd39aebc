using CharRnn.Inference.Serving;

namespace CharRnn.Inference.Generation;

/// <summary>
/// Where a <see cref="Generator"/>'s state lives and how its calls run: a one-stream session of its own
/// (<see cref="SessionStream"/>) or a slot of a scheduler's shared batch (<see cref="ScheduledStream"/>). States are in
/// the one-stream layout of <see cref="Engine.EngineSession.StreamStateLength"/>, so snapshots move between the two.
/// </summary>
internal abstract class GenerationStream : IDisposable
{
    /// <summary>Throws <see cref="ObjectDisposedException"/> when what computes for this stream has stopped.</summary>
    public virtual void ThrowIfStopped()
    {
    }

    /// <summary>Whether text has been fed, so that there are logits to sample from.</summary>
    public abstract bool HasLogits { get; }

    /// <summary>The engine computing now when it can change between calls (a pool's stream), else null: the generator's.</summary>
    public virtual Engine.InferenceEngine? CurrentEngine => null;

    /// <summary>Feeds every id; on cancellation the state is left as it was before the call.</summary>
    public abstract void Feed(int[] ids, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="Feed"/> without blocking the caller's thread where the work runs elsewhere (a scheduler's loop); where
    /// it runs on the caller's thread anyway (a session of its own) it completes synchronously.
    /// </summary>
    public abstract ValueTask FeedAsync(int[] ids, CancellationToken cancellationToken);

    /// <summary>Starts generating up to <paramref name="count"/> characters, read through the returned run.</summary>
    public abstract GenerationRun Start(int count, GenerationRequest request);

    public abstract void Save(Span<float> state);

    public abstract void Restore(ReadOnlySpan<float> state, bool hasLogits);

    public abstract void Reset();

    public abstract void Dispose();
}

/// <summary>
/// One generation call being read. Each piece of text returned has been generated and fed; disposing the run before
/// the end leaves the state right after the text returned so far.
/// </summary>
internal abstract class GenerationRun : IDisposable
{
    /// <summary>The stop string that ended the generation, once the text is all read.</summary>
    public string? StopString { get; protected set; }

    /// <summary>Characters returned so far whose effect is in the state (0 again after a failure that left the state as before the call).</summary>
    public long Taken { get; protected set; }

    /// <summary>The next piece (at most the request's chunk size), or null at the end.</summary>
    public abstract string? Next();

    /// <summary>The next piece (at most the request's chunk size), or null at the end.</summary>
    public abstract ValueTask<string?> NextAsync(CancellationToken cancellationToken);

    public abstract void Dispose();
}
