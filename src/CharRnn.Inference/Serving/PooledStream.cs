using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;

namespace CharRnn.Inference.Serving;

/// <summary>
/// A pool generator's stream: a <see cref="ScheduledStream"/> on its current device, moved to another device between calls
/// (its state is a host array between calls, so a move is a copy). A gate makes moves and calls exclusive: a call holds it
/// from its start to its end, and the pool moves only conversations whose gate it takes (idle ones); a conversation whose
/// device is draining or failed moves itself when its call ends, or when its next call starts.
/// </summary>
internal sealed class PooledStream : GenerationStream
{
    private readonly EnginePool _pool;
    private readonly int _stateLength;
    private volatile PoolDevice _device;
    private ScheduledStream _inner;
    private int _gate;

    public PooledStream(EnginePool pool, PoolDevice device, int stateLength)
    {
        _pool = pool;
        _stateLength = stateLength;
        _device = device;
        _inner = new ScheduledStream(device.Scheduler, stateLength);
    }

    /// <summary>The generator over this stream, for reports (set once, right after it is created).</summary>
    public Generator? Owner { get; set; }

    /// <summary>Pool lock: the generator was disposed, so the conversation is on no device's list any more.</summary>
    public bool Removed { get; set; }

    /// <summary>The device the conversation is on now (set by the pool, under its lock, when it moves).</summary>
    public PoolDevice Device
    {
        get => _device;
        set => _device = value;
    }

    public override bool HasLogits => _inner.HasLogits;

    public override InferenceEngine? CurrentEngine => _device.Engine;

    public override void Feed(int[] ids, CancellationToken cancellationToken)
    {
        Acquire();
        try
        {
            while (true)
            {
                EnsurePlaced();
                try
                {
                    _inner.Feed(ids, cancellationToken);
                    return;
                }
                catch (Exception e) when (IsDeviceFailure(e))
                {
                    // A prime returns nothing before it ends: feed it again on the next device, from the state before it.
                    Recover(e, report: true);
                }
            }
        }
        finally
        {
            EndCall();
        }
    }

    public override async ValueTask FeedAsync(int[] ids, CancellationToken cancellationToken)
    {
        Acquire();
        try
        {
            while (true)
            {
                EnsurePlaced();
                try
                {
                    await _inner.FeedAsync(ids, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (IsDeviceFailure(e))
                {
                    Recover(e, report: true);
                }
            }
        }
        finally
        {
            EndCall();
        }
    }

    public override GenerationRun Start(int count, GenerationRequest request)
    {
        Acquire();
        try
        {
            var run = new Run(this, count, request);
            run.Begin();
            return run;
        }
        catch
        {
            EndCall();
            throw;
        }
    }

    // Starts a run on the current device; a device found failed at the start is left for the next one.
    private GenerationRun StartInner(int count, GenerationRequest request)
    {
        while (true)
        {
            EnsurePlaced();
            try
            {
                return _inner.Start(count, request);
            }
            catch (Exception e) when (IsDeviceFailure(e))
            {
                Recover(e, report: true);
            }
        }
    }

    public override void Save(Span<float> state)
    {
        Acquire();
        try
        {
            _inner.Save(state);
        }
        finally
        {
            Release();
        }
    }

    public override void Restore(ReadOnlySpan<float> state, bool hasLogits)
    {
        Acquire();
        try
        {
            _inner.Restore(state, hasLogits);
        }
        finally
        {
            Release();
        }
    }

    public override void Reset()
    {
        Acquire();
        try
        {
            _inner.Reset();
        }
        finally
        {
            Release();
        }
    }

    public override void Dispose() => _pool.Remove(this);

    /// <summary>The pool moves an idle conversation off a draining or failed device; false when a call holds it (it moves itself).</summary>
    public bool TryMoveIdle()
    {
        if (Interlocked.CompareExchange(ref _gate, 1, 0) != 0)
        {
            return false;
        }
        try
        {
            MoveIfDeviceLeaving(report: true);
        }
        finally
        {
            Release();
        }
        return true;
    }

    // A move by the pool takes microseconds (a state copy): a call that finds it in progress waits for it.
    private void Acquire()
    {
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _gate, 1, 0) != 0)
        {
            spin.SpinOnce();
        }
    }

    private void Release() => Volatile.Write(ref _gate, 0);

    // After a call: a conversation whose device is leaving moves now, so that a drain ends as soon as its calls do.
    private void EndCall()
    {
        try
        {
            if (!_pool.IsDisposed && _device.State != PoolDeviceState.Active)
            {
                MoveIfDeviceLeaving(report: true);
            }
        }
        catch (CharRnnException)
        {
            // No device left to move to: the next call says so.
        }
        finally
        {
            Release();
        }
    }

    // Before a call (gate held): a device that failed while this conversation was idle is found here.
    private void EnsurePlaced()
    {
        ObjectDisposedException.ThrowIf(_pool.IsDisposed, _pool);
        if (_device.HasFailed)
        {
            _pool.MarkFailed(_device, _device.Scheduler.Failure ?? new ObjectDisposedException(nameof(GenerationScheduler), "The device's engine was disposed."));
        }
        MoveIfDeviceLeaving(report: true);
    }

    // Moves the conversation off a draining or failed device (gate held); returns the devices, or null when it stays.
    private (PoolDevice From, PoolDevice To)? MoveIfDeviceLeaving(bool report)
    {
        var from = _device;
        if (from.State == PoolDeviceState.Active)
        {
            return null;
        }
        var to = _pool.Relocate(this, from);
        var state = new float[_stateLength];
        _inner.Save(state);
        var moved = new ScheduledStream(to.Scheduler, _stateLength);
        moved.Restore(state, _inner.HasLogits);
        _inner = moved;
        if (report && from.State == PoolDeviceState.Failed)
        {
            _pool.ReportRecovered(this, from, to, replayed: 0, lost: 0);
        }
        return (from, to);
    }

    private bool IsDeviceFailure(Exception e) =>
        e is CharRnnException or ObjectDisposedException && !_pool.IsDisposed && (_device.HasFailed || _device.State == PoolDeviceState.Failed);

    // A call failed because its device did: the pool learns it (once per device), and this conversation moves on.
    private (PoolDevice From, PoolDevice To) Recover(Exception e, bool report)
    {
        var failed = _device;
        _pool.MarkFailed(failed, failed.Scheduler.Failure ?? e);
        return MoveIfDeviceLeaving(report) ?? (failed, _device);
    }

    /// <summary>
    /// A generation call. When its device fails, the call starts again on the next device from the state before it (the
    /// same position, so the same text) and replays the characters it had already returned without returning them again,
    /// checking that they come out the same: the caller sees one unbroken text. Replayed characters that differ (a device
    /// of another backend or precision computes other text) cannot be taken back: the state returns to before the call,
    /// the call fails, and the pool reports them lost.
    /// </summary>
    private sealed class Run(PooledStream owner, int count, GenerationRequest request) : GenerationRun
    {
        private GenerationRun? _inner;
        private long _returned;
        private ulong _returnedHash = TextHash.Empty;
        // During a replay: characters still to skip, their hash so far, and the devices to report.
        private long _skip;
        private ulong _replayHash;
        private (PoolDevice From, PoolDevice To) _recovery;
        private float[]? _beforeCall;
        private bool _ended;

        public void Begin() => _inner = owner.StartInner(count, request);

        public override string? Next()
        {
            while (true)
            {
                string? chunk;
                try
                {
                    chunk = _inner!.Next();
                }
                catch (Exception e) when (owner.IsDeviceFailure(e))
                {
                    Restart(e);
                    continue;
                }
                if (Deliver(ref chunk))
                {
                    return chunk;
                }
            }
        }

        public override async ValueTask<string?> NextAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                string? chunk;
                try
                {
                    chunk = await _inner!.NextAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (owner.IsDeviceFailure(e))
                {
                    Restart(e);
                    continue;
                }
                if (Deliver(ref chunk))
                {
                    return chunk;
                }
            }
        }

        public override void Dispose()
        {
            if (_ended)
            {
                return;
            }
            _ended = true;
            try
            {
                _inner?.Dispose();
            }
            finally
            {
                owner.EndCall();
            }
        }

        // Skips what a replay has already returned; false when nothing is left of the chunk to return.
        private bool Deliver(ref string? chunk)
        {
            if (_skip > 0)
            {
                int n = chunk is null ? 0 : (int)Math.Min(_skip, chunk.Length);
                _replayHash = TextHash.Add(_replayHash, chunk.AsSpan(0, n));
                _skip -= n;
                if (chunk is null || _skip == 0)
                {
                    EndReplay(matched: _skip == 0 && _replayHash == _returnedHash);
                }
                chunk = chunk?[n..];
                if (chunk is { Length: 0 })
                {
                    return false;
                }
            }
            Taken = _inner!.Taken;
            StopString = _inner.StopString;
            if (chunk is not null)
            {
                _returned += chunk.Length;
                _returnedHash = TextHash.Add(_returnedHash, chunk);
            }
            return true;
        }

        private void Restart(Exception e)
        {
            // The failed run left the state as it was before the call.
            _inner!.Dispose();
            _inner = null;
            Taken = 0;
            var (from, to) = owner.Recover(e, report: false);
            _recovery = _skip > 0 ? (_recovery.From, to) : (from, to);
            _skip = _returned;
            _replayHash = TextHash.Empty;
            if (_returned > 0)
            {
                _beforeCall ??= new float[owner._stateLength];
                owner._inner.Save(_beforeCall);
            }
            else
            {
                owner._pool.ReportRecovered(owner, from, to, replayed: 0, lost: 0);
            }
            _inner = owner.StartInner(count, request);
        }

        private void EndReplay(bool matched)
        {
            var (from, to) = _recovery;
            if (matched)
            {
                owner._pool.ReportRecovered(owner, from, to, replayed: _returned, lost: 0);
                return;
            }
            _inner!.Dispose();
            _inner = null;
            owner._inner.Restore(_beforeCall!, hasLogits: true);
            Taken = 0;
            long lost = _returned;
            owner._pool.ReportRecovered(owner, from, to, replayed: 0, lost: lost);
            throw new CharRnnException(
                $"Device {from.Index} of the engine pool failed during this call, and device {to.Index} computes other text from the same state " +
                $"(another backend or precision), so the {lost} characters this call returned cannot be continued: the conversation is back at its " +
                "state before the call. Call again to continue from there.");
        }
    }
}

/// <summary>FNV-1a over UTF-16 code units: checks that a replay returned the same text, in constant memory.</summary>
internal static class TextHash
{
    public const ulong Empty = 14695981039346656037;

    public static ulong Add(ulong hash, ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            hash = (hash ^ c) * 1099511628211;
        }
        return hash;
    }
}
