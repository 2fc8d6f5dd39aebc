using System.Diagnostics;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Serving;

/// <summary>
/// One call of a scheduled generator (a prime, or a generation) as the scheduler's loop runs it. Fields marked "loop"
/// are touched only by the loop thread; the caller reads them after <see cref="Completion"/> (which orders the memory).
/// </summary>
internal sealed class StreamJob
{
    // Streaming keeps the state at the last chunk boundaries so that a reader who stops early gets the state after the
    // text it took: the loop runs at most two chunks ahead, so three boundaries cover every place the reader can stop.
    private const int Checkpoints = 3;

    private volatile bool _abandon;

    public StreamJob(float[] state, int[]? prime, int count, GenerationRequest request, int outputCapacity)
    {
        State = state;
        Prime = prime ?? [];
        Count = count;
        Request = request;
        Output = new StreamOutput(outputCapacity);
        Stops = request.StopStrings.Count > 0 ? new StopMatcher(request.StopStrings) : null;
        if (request.Streaming && count > 0)
        {
            CheckpointStates = new float[Checkpoints][];
            CheckpointStates[0] = (float[])state.Clone();
        }
        Submitted = Stopwatch.GetTimestamp();
    }

    /// <summary>The generator's state: the start state until the job completes, then the end state.</summary>
    public float[] State { get; }

    public int[] Prime { get; }

    /// <summary>Characters to generate after the prime.</summary>
    public int Count { get; }

    public GenerationRequest Request { get; }

    public StreamOutput Output { get; }

    public StopMatcher? Stops { get; }

    public long Submitted { get; }

    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Loop: the next prime character to feed.</summary>
    public int PrimeNext { get; set; }

    /// <summary>Loop, then the caller after completion: characters generated so far.</summary>
    public int Generated { get; set; }

    /// <summary>Loop, then the caller: the stop string that ended the generation.</summary>
    public string? StopString { get; set; }

    /// <summary>Loop: the slot the job occupies, or -1.</summary>
    public int Slot { get; set; } = -1;

    /// <summary>Loop: the state of a job that left the batch before finishing (a full output buffer).</summary>
    public float[]? Parked { get; set; }

    /// <summary>Loop: why the job fails after the step in progress (its own logits had no distribution), or null.</summary>
    public Exception? Fault { get; set; }

    /// <summary>Loop: whether the job ends after the step in progress.</summary>
    public bool FinishAfterStep { get; set; }

    /// <summary>Whether the caller has asked to stop (cancellation, or a reader that left).</summary>
    public bool AbandonRequested => _abandon;

    public bool IsPriming => PrimeNext < Prime.Length;

    /// <summary>States at chunk boundaries (streaming only): boundary b's state is at index (b / chunk) % 3.</summary>
    public float[][]? CheckpointStates { get; }

    public void RequestAbandon() => _abandon = true;

    /// <summary>Loop: where to save the state at the boundary before character <paramref name="generated"/>, or null.</summary>
    public float[]? CheckpointAt(int generated, int streamStateLength)
    {
        if (CheckpointStates is null || generated == 0 || generated % Request.ChunkSize != 0)
        {
            return null;
        }
        int index = generated / Request.ChunkSize % Checkpoints;
        return CheckpointStates[index] ??= new float[streamStateLength];
    }

    /// <summary>The caller: the state after <paramref name="taken"/> characters, a chunk boundary the loop saved.</summary>
    public float[] CheckpointAfter(int taken) => CheckpointStates![taken / Request.ChunkSize % Checkpoints];
}

/// <summary>What one generation call asks for (the counter-based sampler's seed and position included).</summary>
internal sealed record GenerationRequest(
    int ChunkSize, bool Streaming, SamplingOptions Sampling, ulong Seed, long Position, IReadOnlyList<string> StopStrings);
