using CharRnn.Inference.Generation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CharRnn.Inference.Serving;

/// <summary>
/// One engine and one <see cref="GenerationScheduler"/> per device (the GPUs of a host; CPU engines stand in for them where
/// there is none), behind one <see cref="IGeneratorFactory"/>: places each new conversation on the device with the most
/// free capacity, drains a device by moving its conversations to the others, and when a device's engine fails, continues
/// its conversations on the others from their state at their last call boundary. docs/SCALING.md gives the design.
/// </summary>
/// <remarks>
/// <para>
/// A conversation is a <see cref="Generator"/> with the usual contract. Between calls its state is a host copy, so moving
/// it is a copy into another scheduler: nothing is lost or repeated. A call always runs to its end on the device it
/// started on; a conversation of a draining device moves right after its call in flight ends (or at once when idle).
/// </para>
/// <para>
/// When a device fails, its idle conversations move at once, from their state at their last call boundary. A call in
/// flight starts again on the next device from the state before it and replays, without returning them again, the
/// characters it had already returned (the counter-based sampler makes them the same on identical devices), so its
/// caller sees one unbroken text; <see cref="ConversationRecovered"/> reports each conversation moved, with the
/// characters replayed, and lost where a device of another backend or precision computed them differently. Devices that
/// fail or are drained stay out of the pool.
/// </para>
/// <para>Thread-safe. Dispose the generators first: disposing the pool fails their calls with <see cref="ObjectDisposedException"/>.</para>
/// </remarks>
public sealed class EnginePool : IGeneratorFactory, IDisposable
{
    private readonly Lock _lock = new();
    private readonly PoolDevice[] _devices;
    private readonly ILogger _logger;
    private readonly int _stateLength;
    private volatile bool _disposed;

    /// <summary>Builds every device's engine and scheduler.</summary>
    /// <param name="options">The devices (engine factories) and their capacity.</param>
    /// <param name="loggerFactory">Where logs go (the pool's and its schedulers'); null logs nothing.</param>
    /// <exception cref="ArgumentException">No device, or devices whose engines compute different models.</exception>
    public EnginePool(EnginePoolOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Devices.Count == 0)
        {
            throw new ArgumentException("The pool needs at least one device: give EnginePoolOptions.Devices one engine factory per device.", nameof(options));
        }
        Options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<EnginePool>();
        var schedulerOptions = new SchedulerOptions { MaxStreams = options.StreamsPerDevice, MaxQueuedRequests = options.MaxQueuedRequestsPerDevice };
        var devices = new List<PoolDevice>(options.Devices.Count);
        try
        {
            for (int i = 0; i < options.Devices.Count; i++)
            {
                var engine = options.Devices[i]() ?? throw new ArgumentException($"The engine factory of device {i} returned null.", nameof(options));
                GenerationScheduler scheduler;
                try
                {
                    if (devices.Count > 0 && engine.ModelFingerprint != devices[0].Engine.ModelFingerprint)
                    {
                        throw new ArgumentException(
                            $"Device {i}'s engine computes another model ({engine.Dimensions}, fingerprint {engine.ModelFingerprint}) than device 0's " +
                            $"({devices[0].Engine.Dimensions}, fingerprint {devices[0].Engine.ModelFingerprint}): a pool's devices share one model.", nameof(options));
                    }
                    scheduler = new GenerationScheduler(engine, schedulerOptions, loggerFactory);
                }
                catch
                {
                    engine.Dispose();
                    throw;
                }
                devices.Add(new PoolDevice(i, engine, scheduler));
            }
        }
        catch
        {
            foreach (var device in devices)
            {
                device.Close();
            }
            throw;
        }
        _devices = [.. devices];
        var first = _devices[0].Engine;
        _stateLength = first.Dimensions.StreamStateLength;
        Log.PoolStarted(_logger, _devices.Length, options.StreamsPerDevice, first.Dimensions.ToString());
    }

    /// <summary>The devices and capacity this pool was built with.</summary>
    public EnginePoolOptions Options { get; }

    /// <summary>
    /// A device failed. Raised once per device, on the thread that found the failure (a caller's), before its conversations
    /// move; handlers must return quickly and must not call the pool's generators.
    /// </summary>
    public event EventHandler<PoolDeviceFailure>? DeviceFailed;

    /// <summary>
    /// A conversation of a failed device continues on another, with the number of characters it lost. Raised once per
    /// conversation, on the thread that moved it; handlers must return quickly and must not call the pool's generators.
    /// </summary>
    public event EventHandler<ConversationRecovery>? ConversationRecovered;

    internal bool IsDisposed => _disposed;

    /// <summary>
    /// Creates a conversation on the device with the most free capacity (the fewest conversations; then the fewest busy
    /// streams; then the lowest index). The caller owns the generator and disposes it.
    /// </summary>
    /// <exception cref="CharRnnException">Every device has failed or been drained.</exception>
    public Generator CreateGenerator(GeneratorOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PooledStream stream;
        lock (_lock)
        {
            var device = PickDevice();
            stream = new PooledStream(this, device, _stateLength);
            device.Conversations.Add(stream);
        }
        var generator = new Generator(stream.Device.Engine, options ?? new GeneratorOptions(), stream);
        stream.Owner = generator;
        return generator;
    }

    /// <summary>The index of the device <paramref name="generator"/>'s conversation is on now.</summary>
    /// <exception cref="ArgumentException">The generator was not created by this pool.</exception>
    public int DeviceOf(Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return generator.Stream is PooledStream stream && _devices.Contains(stream.Device)
            ? stream.Device.Index
            : throw new ArgumentException("The generator was not created by this pool.", nameof(generator));
    }

    /// <summary>A moment's reading of every device, by index.</summary>
    public IReadOnlyList<PoolDeviceStatus> Status()
    {
        lock (_lock)
        {
            return [.. _devices.Select(d => new PoolDeviceStatus(d.Index, d.State, d.Engine.DeviceName, d.Conversations.Count,
                d.State is PoolDeviceState.Active or PoolDeviceState.Draining ? d.Scheduler.ActiveStreams : 0))];
        }
    }

    /// <summary>
    /// Takes device <paramref name="device"/> out of the pool: it gets no new conversation, its idle conversations move to
    /// the other devices at once and busy ones right after their call in flight ends (that call finishes where it started).
    /// Completes when none is left; the device's scheduler and engine are then disposed. Nothing is lost or repeated: a
    /// conversation's text continues exactly.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such device.</exception>
    /// <exception cref="InvalidOperationException">The device is not active, or it is the last active one.</exception>
    public async Task DrainAsync(int device, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(device);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(device, _devices.Length);
        var target = _devices[device];
        PooledStream[] conversations;
        Task drained;
        lock (_lock)
        {
            if (target.State != PoolDeviceState.Active)
            {
                throw new InvalidOperationException($"Device {device} is {target.State}: only an active device can be drained.");
            }
            if (!_devices.Any(d => d != target && d.State == PoolDeviceState.Active))
            {
                throw new InvalidOperationException($"Device {device} is the last active device: its conversations would have nowhere to go.");
            }
            target.State = PoolDeviceState.Draining;
            target.Drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            conversations = [.. target.Conversations];
            drained = target.Drained.Task;
            SignalIfDrained(target);
        }
        Log.PoolDeviceDraining(_logger, device, conversations.Length);
        foreach (var conversation in conversations)
        {
            conversation.TryMoveIdle();
        }
        await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (target.State != PoolDeviceState.Draining)
            {
                return;
            }
            target.State = PoolDeviceState.Closed;
        }
        target.Close();
        Log.PoolDeviceDrained(_logger, device);
    }

    /// <summary>Disposes every scheduler and engine; calls in flight fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        foreach (var device in _devices)
        {
            if (device.State is PoolDeviceState.Active or PoolDeviceState.Draining)
            {
                device.Close();
            }
            device.Drained?.TrySetCanceled();
        }
    }

    // Pool lock held.
    private PoolDevice PickDevice()
    {
        PoolDevice? best = null;
        foreach (var d in _devices)
        {
            if (d.State != PoolDeviceState.Active || d.HasFailed)
            {
                continue;
            }
            if (best is null || d.Conversations.Count < best.Conversations.Count
                || (d.Conversations.Count == best.Conversations.Count && Busy(d) < Busy(best)))
            {
                best = d;
            }
        }
        return best ?? throw new CharRnnException(
            "No device of the engine pool can take conversations: every device has failed or been drained. Build a new pool.");

        static int Busy(PoolDevice d) => d.Scheduler.ActiveStreams + d.Scheduler.QueuedRequests;
    }

    /// <summary>Moves a conversation's registration (and <see cref="PooledStream.Device"/>) off <paramref name="from"/> to the best active device, which it returns.</summary>
    internal PoolDevice Relocate(PooledStream conversation, PoolDevice from)
    {
        lock (_lock)
        {
            var to = PickDevice();
            from.Conversations.Remove(conversation);
            if (!conversation.Removed)
            {
                to.Conversations.Add(conversation);
            }
            // Under the lock, so that a generator disposed meanwhile leaves the list it is on.
            conversation.Device = to;
            SignalIfDrained(from);
            return to;
        }
    }

    /// <summary>A disposed conversation leaves its device.</summary>
    internal void Remove(PooledStream conversation)
    {
        lock (_lock)
        {
            conversation.Removed = true;
            var device = conversation.Device;
            device.Conversations.Remove(conversation);
            SignalIfDrained(device);
        }
    }

    /// <summary>
    /// Takes a failed device out (once; later calls return at once), reports it, moves its idle conversations and disposes
    /// its scheduler and engine. Busy conversations move themselves as their calls fail.
    /// </summary>
    internal void MarkFailed(PoolDevice device, Exception error)
    {
        PooledStream[] conversations;
        lock (_lock)
        {
            if (device.State is PoolDeviceState.Failed or PoolDeviceState.Closed)
            {
                return;
            }
            device.State = PoolDeviceState.Failed;
            device.Drained?.TrySetResult();
            conversations = [.. device.Conversations];
        }
        Log.PoolDeviceFailed(_logger, device.Index, conversations.Length, error);
        Raise(DeviceFailed, new PoolDeviceFailure(device.Index, error, conversations.Length));
        foreach (var conversation in conversations)
        {
            conversation.TryMoveIdle();
        }
        device.Close();
    }

    internal void ReportRecovered(PooledStream conversation, PoolDevice from, PoolDevice to, long replayed, long lost)
    {
        Log.PoolConversationRecovered(_logger, from.Index, to.Index, replayed, lost);
        if (conversation.Owner is { } generator)
        {
            Raise(ConversationRecovered, new ConversationRecovery(generator, from.Index, to.Index, replayed, lost));
        }
    }

    // Pool lock held.
    private static void SignalIfDrained(PoolDevice device)
    {
        if (device.State == PoolDeviceState.Draining && device.Conversations.Count == 0)
        {
            device.Drained?.TrySetResult();
        }
    }

    // Events never throw into the pool's callers: a failing handler is logged.
    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        try
        {
            handler?.Invoke(this, args);
        }
#pragma warning disable CA1031 // A subscriber's bug must not break the conversation that happened to find the failure.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.PoolHandlerFailed(_logger, e);
        }
    }
}
