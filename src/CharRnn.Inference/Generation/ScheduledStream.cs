using CharRnn.Inference.Diagnostics;
using CharRnn.Inference.Serving;

namespace CharRnn.Inference.Generation;

/// <summary>
/// A generator's stream in a <see cref="GenerationScheduler"/>'s shared batch. Between calls the state is a host array
/// (idle conversations hold no slot); a call hands it to the scheduler's loop and gets it back when the call ends.
/// </summary>
internal sealed class ScheduledStream(GenerationScheduler scheduler, int stateLength) : GenerationStream
{
    private readonly float[] _state = new float[stateLength];
    private readonly string _backendName = scheduler.Engine.Backend.ToString();
    private bool _hasLogits;

    public override bool HasLogits => _hasLogits;

    public override void ThrowIfStopped() => scheduler.ThrowIfStopped();

    public override void Feed(int[] ids, CancellationToken cancellationToken) =>
        FeedAsync(ids, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override async ValueTask FeedAsync(int[] ids, CancellationToken cancellationToken)
    {
        if (ids.Length == 0)
        {
            return;
        }
        var job = new StreamJob((float[])_state.Clone(), ids, 0,
            new GenerationRequest(1, false, Sampling.SamplingOptions.Greedy, 0, 0, []), outputCapacity: 1);
        scheduler.Submit(job);
        await using (cancellationToken.Register(static state =>
               {
                   var (j, s) = ((StreamJob, GenerationScheduler))state!;
                   j.RequestAbandon();
                   s.Nudge();
               }, (job, scheduler)))
        {
            await job.Completion.Task.ConfigureAwait(false);
        }
        if (job.PrimeNext < ids.Length)
        {
            // Stopped before the last character: the state stays as it was.
            cancellationToken.ThrowIfCancellationRequested();
        }
        job.State.CopyTo(_state);
        _hasLogits = true;
    }

    public override GenerationRun Start(int count, GenerationRequest request) => new Run(this, count, request);

    public override void Save(Span<float> state) => _state.CopyTo(state);

    public override void Restore(ReadOnlySpan<float> state, bool hasLogits)
    {
        state.CopyTo(_state);
        _hasLogits = hasLogits;
    }

    public override void Reset()
    {
        Array.Clear(_state);
        _hasLogits = false;
    }

    public override void Dispose()
    {
    }

    // Waits for a scheduled call on the caller's thread, unwrapping the failure.
    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    // Reads what the loop writes. The loop runs ahead of the reader by at most the output buffer; when the reader stops
    // early, the state goes back to the chunk boundary right after the text it took.
    private sealed class Run : GenerationRun
    {
        private readonly ScheduledStream _owner;
        private readonly StreamJob _job;
        private readonly int _count;
        private readonly int _piece;
        private readonly char[] _buffer;
        private bool _ended;

        public Run(ScheduledStream owner, int count, GenerationRequest request)
        {
            _owner = owner;
            _count = count;
            _piece = request.ChunkSize;
            // Streaming runs two chunks ahead (see StreamJob's checkpoints); Generate as far as the buffer allows.
            int capacity = request.Streaming ? 2 * request.ChunkSize : Math.Max(request.ChunkSize, owner.Scheduler.Options.OutputBufferSize);
            _buffer = new char[Math.Max(1, Math.Min(count, request.ChunkSize))];
            _job = new StreamJob((float[])owner._state.Clone(), null, count, request, capacity);
            if (count > 0)
            {
                owner.Scheduler.Submit(_job);
            }
            else
            {
                _ended = true;
            }
        }

        public override string? Next()
        {
            if (_ended)
            {
                return null;
            }
            try
            {
                if (AtEnd())
                {
                    Wait(_job.Completion.Task);
                    return End();
                }
                Wait(_job.Output.WaitAsync(Wanted()));
                return Take();
            }
            catch (Exception e) when (e is ObjectDisposedException or CharRnnException)
            {
                Failed();
                throw;
            }
        }

        public override async ValueTask<string?> NextAsync(CancellationToken cancellationToken)
        {
            if (_ended)
            {
                return null;
            }
            try
            {
                if (AtEnd())
                {
                    await _job.Completion.Task.ConfigureAwait(false);
                    return End();
                }
                await _job.Output.WaitAsync(Wanted()).WaitAsync(cancellationToken).ConfigureAwait(false);
                return Take();
            }
            catch (Exception e) when (e is ObjectDisposedException or CharRnnException)
            {
                Failed();
                throw;
            }
        }

        // The call failed in the scheduler: the generator keeps the state from before it.
        private void Failed()
        {
            _ended = true;
            Taken = 0;
        }

        public override void Dispose()
        {
            if (_ended)
            {
                return;
            }
            _ended = true;
            if (!_job.Completion.Task.IsCompleted)
            {
                _job.RequestAbandon();
                _owner.Scheduler.Nudge();
            }
            try
            {
                Wait(_job.Completion.Task);
            }
            catch (Exception e) when (e is ObjectDisposedException or CharRnnException)
            {
                Failed();
                return;
            }
            if (Taken == _job.Generated)
            {
                Finish(_job.State);
            }
            else if (_job.CheckpointStates is not null)
            {
                // The loop generated past what was taken: go back to the chunk boundary right after the text taken.
                Finish(_job.CheckpointAfter((int)Taken));
            }
        }

        private int Wanted() => (int)Math.Min(_piece, _count - Taken);

        // Everything asked for was taken, or the loop closed the output (a stop string, a failure) and it is empty.
        private bool AtEnd() => Taken == _count || _job.Output.IsClosedAndEmpty;

        private string? End()
        {
            _ended = true;
            StopString = _job.StopString;
            Finish(_job.State);
            return null;
        }

        private string? Take()
        {
            int n = _job.Output.Read(_buffer.AsSpan(0, Wanted()));
            if (n == 0)
            {
                // Closed and empty: the call ended, or failed (which rethrows here).
                Wait(_job.Completion.Task);
                return End();
            }
            Taken += n;
            // The reader made room: a stream parked on a full buffer may run again.
            _owner.Scheduler.Nudge();
            if (CharRnnMetrics.CharsGenerated.Enabled)
            {
                CharRnnMetrics.CharsGenerated.Add(n, new KeyValuePair<string, object?>(CharRnnMetrics.BackendTag, _owner._backendName));
            }
            return new string(_buffer, 0, n);
        }

        private void Finish(float[] state)
        {
            state.CopyTo(_owner._state);
            _owner._hasLogits = true;
        }
    }

    private GenerationScheduler Scheduler => scheduler;
}
