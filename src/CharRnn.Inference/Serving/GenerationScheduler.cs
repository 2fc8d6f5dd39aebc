using System.Collections.Concurrent;
using System.Diagnostics;
using CharRnn.Inference.Diagnostics;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CharRnn.Inference.Serving;

/// <summary>
/// Continuous batching for one engine: every generator it creates runs in one shared batched session, so that many
/// independent users get the engine's batched throughput through the ordinary <see cref="Generator"/> API.
/// </summary>
/// <remarks>
/// <para>
/// A loop on its own thread steps the session once per character for every active stream. Between steps it admits
/// queued calls into free slots (first come, first served), retires finished, cancelled and abandoned ones, and keeps the
/// active streams packed at the front of the session so that a step computes only what is active. In one step some
/// streams feed their next prime character while others sample: a newcomer's prime neither stalls the others nor waits
/// for the batch to drain. Every active stream advances one character per step, which is the fairness rule.
/// </para>
/// <para>
/// Each stream samples with its own options, seed and position (the counter-based sampler keyed by the generator's seed
/// and position, never by the slot), and stops on its own stop strings; a stream's text is the same alone or batched, in
/// any slot. Between calls a generator's state lives in host memory, so idle conversations hold no slot.
/// </para>
/// <para>
/// Back-pressure: a stream runs ahead of its reader by at most <see cref="SchedulerOptions.OutputBufferSize"/> characters
/// (two chunks when streaming); a stream whose reader falls behind leaves the batch, keeping its state, and comes back
/// when the reader catches up, so a slow reader never stalls the others.
/// </para>
/// <para>
/// Thread-safe. The scheduler does not own the engine: dispose the scheduler first. Disposing it (or the engine) fails the
/// calls in flight with <see cref="ObjectDisposedException"/> and leaves their generators in the state before the call.
/// </para>
/// </remarks>
public sealed class GenerationScheduler : IGeneratorFactory, IDisposable
{
    private readonly InferenceEngine _engine;
    private readonly EngineSession _session;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<StreamJob> _incoming = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _loop;
    private readonly string _backendName;

    // Loop state.
    private readonly StreamJob?[] _slots;
    private readonly Queue<StreamJob> _pending = new();
    private readonly List<StreamJob> _parked = [];
    private readonly int[] _tokens;
    private readonly float[] _logits;
    private readonly float[] _samplerScratch;
    private int _active;

    private int _queued;
    private int _activeSnapshot;
    private volatile bool _stopping;
    private int _disposed;
    private Exception? _failure;

    /// <summary>Starts a scheduler with its own batched session of <see cref="SchedulerOptions.MaxStreams"/> streams on <paramref name="engine"/>.</summary>
    /// <param name="engine">The engine; shared, not owned: it must outlive the scheduler.</param>
    /// <param name="options">Limits; null takes the defaults.</param>
    /// <param name="loggerFactory">Where logs go; null logs nothing.</param>
    public GenerationScheduler(InferenceEngine engine, SchedulerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        _engine = engine;
        Options = options ?? new SchedulerOptions();
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<GenerationScheduler>();
        _session = engine.CreateSession(Options.MaxStreams);
        _slots = new StreamJob?[Options.MaxStreams];
        _tokens = new int[Options.MaxStreams];
        int vocab = engine.Dimensions.VocabularySize;
        _logits = new float[Options.MaxStreams * vocab];
        _samplerScratch = new float[2 * vocab];
        _backendName = engine.Backend.ToString();
        CharRnnMetrics.Track(this);
        _loop = new Thread(Run) { IsBackground = true, Name = "CharRnn scheduler" };
        _loop.Start();
    }

    /// <summary>The limits this scheduler runs with.</summary>
    public SchedulerOptions Options { get; }

    /// <summary>The engine the batch runs on.</summary>
    public InferenceEngine Engine => _engine;

    /// <summary>Streams in the batch now (a moment's reading, for monitoring).</summary>
    public int ActiveStreams => Volatile.Read(ref _activeSnapshot);

    /// <summary>Calls waiting for a stream now (a moment's reading, for monitoring).</summary>
    public int QueuedRequests => Volatile.Read(ref _queued);

    /// <summary>Whether the loop has stopped (disposed, its engine disposed, or a failed step): a pool's health check.</summary>
    internal bool HasStopped => _stopping;

    /// <summary>The exception of the step that stopped the loop, or null (read after <see cref="HasStopped"/>).</summary>
    internal Exception? Failure => _failure;

    /// <summary>
    /// Creates a generator whose calls run in this scheduler's shared batch. It keeps the <see cref="Generator"/> contract;
    /// its state lives in host memory between calls. The caller owns it and disposes it.
    /// </summary>
    public Generator CreateGenerator(GeneratorOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        return new Generator(_engine, options ?? new GeneratorOptions(), new ScheduledStream(this, _session.StreamStateLength));
    }

    /// <summary>Stops the loop; calls in flight fail with <see cref="ObjectDisposedException"/>. Waits for the loop to end.</summary>
    public void Dispose()
    {
        // Its own flag: a loop that stopped on a failed step sets _stopping, and the session must still be released.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stopping = true;
        _wake.Release();
        if (Thread.CurrentThread != _loop)
        {
            _loop.Join();
        }
        CharRnnMetrics.Untrack(this);
        _session.Dispose();
        _wake.Dispose();
    }

    internal void Submit(StreamJob job)
    {
        if (_stopping)
        {
            throw Closed();
        }
        if (Volatile.Read(ref _activeSnapshot) + Volatile.Read(ref _queued) >= Options.MaxStreams + Options.MaxQueuedRequests)
        {
            throw new SchedulerFullException(Options.MaxStreams, Options.MaxQueuedRequests);
        }
        Interlocked.Increment(ref _queued);
        _incoming.Enqueue(job);
        _wake.Release();
        if (_stopping)
        {
            // Dispose may have drained the queue before this job arrived: fail it here rather than leave it waiting.
            Fail(job, Closed());
        }
    }

    /// <summary>Throws the typed error of a stopped scheduler (disposed, or its engine disposed).</summary>
    internal void ThrowIfStopped()
    {
        if (_stopping || _engine.IsDisposedInternal)
        {
            throw Closed();
        }
    }

    /// <summary>Wakes the loop (a job was abandoned, or a reader made room for a parked stream).</summary>
    internal void Nudge()
    {
        if (!_stopping)
        {
            try
            {
                _wake.Release();
            }
            catch (ObjectDisposedException)
            {
                // Disposed meanwhile: the job was failed with the rest.
            }
        }
    }

    private ObjectDisposedException Closed() =>
        new(nameof(GenerationScheduler), _engine.IsDisposedInternal
            ? "The engine was disposed while the scheduler ran: its calls were stopped and their generators keep the state from before the call."
            : "The generation scheduler was disposed: its calls were stopped and their generators keep the state from before the call.");

    private void Run()
    {
        try
        {
            while (!_stopping && !_engine.IsDisposedInternal)
            {
                TakeIncoming();
                RetireAbandonedWaiting();
                Admit();
                if (_active == 0)
                {
                    _wake.Wait();
                    continue;
                }
                StepOnce();
                Volatile.Write(ref _activeSnapshot, _active);
                // Drain the wake-ups that arrived meanwhile: everything they announce is looked at on the next round.
                while (_wake.CurrentCount > 0 && _wake.Wait(0))
                {
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A failing step (a device error, say) poisons the whole batch: every call learns why.
            _failure = e;
            Log.SchedulerFailed(_logger, e);
        }
        _stopping = true;
        Exception reason = _failure is null
            ? Closed()
            : new CharRnnException("The generation scheduler stopped: a batched step failed. " + _failure.Message, _failure);
        foreach (var job in _slots.Take(_active).Concat(_pending).Concat(_parked).Concat(_incoming.ToArray()))
        {
            Fail(job!, reason);
        }
        Array.Clear(_slots);
        _active = 0;
        _pending.Clear();
        _parked.Clear();
        Volatile.Write(ref _activeSnapshot, 0);
        Volatile.Write(ref _queued, 0);
    }

    private void TakeIncoming()
    {
        while (_incoming.TryDequeue(out var job))
        {
            _pending.Enqueue(job);
        }
    }

    // Abandoned calls that hold no slot end here, without a step.
    private void RetireAbandonedWaiting()
    {
        for (int i = _parked.Count - 1; i >= 0; i--)
        {
            var job = _parked[i];
            if (job.AbandonRequested)
            {
                _parked.RemoveAt(i);
                job.Parked!.CopyTo(job.State);
                Complete(job);
            }
        }
        // One reading of each job's flag: a caller may abandon while this runs, and a job must be either kept or retired.
        int count = _pending.Count;
        for (int i = 0; i < count; i++)
        {
            var job = _pending.Dequeue();
            if (job.AbandonRequested)
            {
                Interlocked.Decrement(ref _queued);
                Complete(job);
            }
            else
            {
                _pending.Enqueue(job);
            }
        }
    }

    // Parked streams whose reader made room come back first (they were admitted before anyone waiting), then the queue.
    private void Admit()
    {
        for (int i = 0; i < _parked.Count && _active < _slots.Length; i++)
        {
            var job = _parked[i];
            if (job.Output.HasRoom)
            {
                _parked.RemoveAt(i--);
                Place(job, job.Parked!);
                job.Parked = null;
            }
        }
        while (_active < _slots.Length && _pending.TryDequeue(out var next))
        {
            Interlocked.Decrement(ref _queued);
            Place(next, next.State);
        }
    }

    private void Place(StreamJob job, float[] state)
    {
        int slot = _active++;
        _session.RestoreStream(slot, state);
        _slots[slot] = job;
        job.Slot = slot;
    }

    private void StepOnce()
    {
        // Before the step: streams that stop or must wait leave the batch (from the back, so that the stream moved into a
        // freed slot has already been looked at).
        for (int i = _active - 1; i >= 0; i--)
        {
            var job = _slots[i]!;
            if (job.AbandonRequested)
            {
                Leave(job, save: job.Count > 0 ? job.State : null);
                Complete(job);
            }
            else if (!job.IsPriming && !job.Output.HasRoom)
            {
                job.Parked ??= new float[_session.StreamStateLength];
                Leave(job, save: job.Parked);
                _parked.Add(job);
            }
        }
        if (_active == 0)
        {
            return;
        }

        int vocab = _engine.Dimensions.VocabularySize;
        bool anySampling = false;
        for (int i = 0; i < _active && !anySampling; i++)
        {
            anySampling = !_slots[i]!.IsPriming;
        }
        if (anySampling)
        {
            _session.ReadLogits(_logits.AsSpan(0, _active * vocab), _active);
        }
        for (int i = 0; i < _active; i++)
        {
            var job = _slots[i]!;
            if (job.IsPriming)
            {
                _tokens[i] = job.Prime[job.PrimeNext++];
                job.FinishAfterStep = !job.IsPriming && job.Count == 0;
                continue;
            }
            if (job.CheckpointAt(job.Generated, _session.StreamStateLength) is { } checkpoint)
            {
                _session.SaveStream(i, checkpoint);
            }
            var request = job.Request;
            long position = request.Position + job.Generated;
            // Stream index 0 of the counter-based sampler: the draw depends on the generator's seed and position only,
            // exactly as for a generator with a session of its own.
            float u = request.Sampling.IsGreedy ? 0f : CounterRng.Uniform(request.Seed, 0, position);
            int id;
            try
            {
                id = TokenSampler.Sample(_logits.AsSpan(i * vocab, vocab), request.Sampling, u, _samplerScratch);
            }
            catch (NonFiniteLogitsException)
            {
                // This stream's logits have no distribution: its call fails (naming the character it was drawing), the
                // others go on. Its stream feeds a placeholder this step and leaves right after it.
                job.Fault = new NonFiniteLogitsException(position, null);
                job.FinishAfterStep = true;
                _tokens[i] = 0;
                continue;
            }
            char c = _engine.Vocabulary[id];
            if (job.Generated == 0 && CharRnnMetrics.TimeToFirstChar.Enabled)
            {
                CharRnnMetrics.TimeToFirstChar.Record(Stopwatch.GetElapsedTime(job.Submitted).TotalMilliseconds,
                    new KeyValuePair<string, object?>(CharRnnMetrics.BackendTag, _backendName));
            }
            job.Output.Write(c);
            job.Generated++;
            job.StopString = job.Stops?.Add(c);
            job.FinishAfterStep = job.StopString is not null || job.Generated == job.Count;
            _tokens[i] = id;
        }

        _session.Step(_tokens.AsSpan(0, _active));

        for (int i = _active - 1; i >= 0; i--)
        {
            var job = _slots[i]!;
            if (job.FinishAfterStep)
            {
                if (job.Fault is { } fault)
                {
                    Leave(job, save: null);
                    Fail(job, fault);
                    continue;
                }
                Leave(job, save: job.State);
                Complete(job);
            }
        }
    }

    // Takes a job out of its slot, saving its state first when asked, and moves the last active stream into the hole.
    private void Leave(StreamJob job, float[]? save)
    {
        int slot = job.Slot, last = _active - 1;
        if (save is not null)
        {
            _session.SaveStream(slot, save);
        }
        if (slot != last)
        {
            _session.CopyStream(last, slot);
            _slots[slot] = _slots[last];
            _slots[slot]!.Slot = slot;
        }
        _slots[last] = null;
        job.Slot = -1;
        _active--;
    }

    private static void Complete(StreamJob job)
    {
        job.Output.Close();
        job.Completion.TrySetResult();
    }

    private static void Fail(StreamJob job, Exception e)
    {
        job.Output.Close();
        job.Completion.TrySetException(e);
    }
}
