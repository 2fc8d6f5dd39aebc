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
                    Recover(e, lost: 0);
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
                Recover(e, lost: 0);
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
            MoveIfDeviceLeaving(lost: 0);
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
                MoveIfDeviceLeaving(lost: 0);
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
        MoveIfDeviceLeaving(lost: 0);
    }

    private void MoveIfDeviceLeaving(long lost)
    {
        var from = _device;
        if (from.State == PoolDeviceState.Active)
        {
            return;
        }
        var to = _pool.Relocate(this, from);
        var state = new float[_stateLength];
        _inner.Save(state);
        var moved = new ScheduledStream(to.Scheduler, _stateLength);
        moved.Restore(state, _inner.HasLogits);
        _inner = moved;
        if (from.State == PoolDeviceState.Failed)
        {
            _pool.ReportRecovered(this, from, to, lost);
        }
    }

    private bool IsDeviceFailure(Exception e) =>
        e is CharRnnException or ObjectDisposedException && !_pool.IsDisposed && (_device.HasFailed || _device.State == PoolDeviceState.Failed);

    // A call failed because its device did: the pool learns it (once per device), and this conversation moves on.
    private void Recover(Exception e, long lost)
    {
        _pool.MarkFailed(_device, _device.Scheduler.Failure ?? e);
        MoveIfDeviceLeaving(lost);
    }

    /// <summary>
    /// A generation call. When the device fails before the call has returned anything, the call starts again on the next
    /// device from the state before it (same position, so the same text); when it had returned characters, the call fails
    /// and the pool reports them lost, since the caller has seen text that the restored state does not hold.
    /// </summary>
    private sealed class Run : GenerationRun
    {
        private readonly PooledStream _owner;
        private readonly int _count;
        private readonly GenerationRequest _request;
        private GenerationRun? _inner;
        private long _returned;
        private bool _ended;

        public Run(PooledStream owner, int count, GenerationRequest request)
        {
            _owner = owner;
            _count = count;
            _request = request;
        }

        public void Begin() => _inner = _owner.StartInner(_count, _request);

        public override string? Next()
        {
            while (true)
            {
                try
                {
                    return Took(_inner!.Next());
                }
                catch (Exception e) when (_owner.IsDeviceFailure(e))
                {
                    Restart(e);
                }
            }
        }

        public override async ValueTask<string?> NextAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                try
                {
                    return Took(await _inner!.NextAsync(cancellationToken).ConfigureAwait(false));
                }
                catch (Exception e) when (_owner.IsDeviceFailure(e))
                {
                    Restart(e);
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
                _owner.EndCall();
            }
        }

        private string? Took(string? chunk)
        {
            Taken = _inner!.Taken;
            StopString = _inner.StopString;
            _returned += chunk?.Length ?? 0;
            return chunk;
        }

        private void Restart(Exception e)
        {
            // The failed run left the state as it was before the call.
            _inner!.Dispose();
            Taken = 0;
            long lost = _returned;
            int from = _owner._device.Index;
            _owner.Recover(e, lost);
            if (lost > 0)
            {
                throw new CharRnnException(
                    $"Device {from} of the engine pool failed during this call: the conversation continues on device {_owner._device.Index} " +
                    $"from its state before the call, which does not hold the {lost} characters this call returned. Call again to continue from there.", e);
            }
            _inner = _owner.StartInner(_count, _request);
        }
    }
}
