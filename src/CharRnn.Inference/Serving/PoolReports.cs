using CharRnn.Inference.Generation;

namespace CharRnn.Inference.Serving;

/// <summary>Where a device of an <see cref="EnginePool"/> is in its life.</summary>
public enum PoolDeviceState
{
    /// <summary>Takes new conversations and runs calls.</summary>
    Active = 0,
    /// <summary>Takes no new conversations; its conversations move to the other devices as their calls end.</summary>
    Draining,
    /// <summary>Drained: every conversation left, its scheduler and engine are disposed.</summary>
    Closed,
    /// <summary>Its engine failed: its conversations continue on the other devices; its scheduler and engine are disposed.</summary>
    Failed,
}

/// <summary>A moment's reading of one device of an <see cref="EnginePool"/> (for monitoring and tests).</summary>
/// <param name="Device">The device's index in <see cref="EnginePoolOptions.Devices"/>.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="DeviceName">What computes, in words.</param>
/// <param name="Conversations">Conversations placed on it (idle or not).</param>
/// <param name="ActiveStreams">Streams in its batch now.</param>
public sealed record PoolDeviceStatus(int Device, PoolDeviceState State, string DeviceName, int Conversations, int ActiveStreams);

/// <summary>A device of an <see cref="EnginePool"/> failed; its conversations are being moved to the others.</summary>
/// <param name="Device">The failed device's index.</param>
/// <param name="Error">What failed (the exception of the batched step, or of the engine).</param>
/// <param name="Conversations">How many conversations it held; each is reported by <see cref="EnginePool.ConversationRecovered"/>.</param>
public sealed record PoolDeviceFailure(int Device, Exception Error, int Conversations);

/// <summary>
/// A conversation of a failed device continues on another, from its state at its last call boundary (the last snapshot
/// the pool holds of it).
/// </summary>
/// <param name="Conversation">The conversation's generator (compare by reference).</param>
/// <param name="FromDevice">The failed device.</param>
/// <param name="ToDevice">The device it continues on.</param>
/// <param name="CharactersReplayed">
/// Characters its call in flight had already returned, computed again on the new device (and not returned again) to
/// reach the state after them: the caller's text goes on unbroken.
/// </param>
/// <param name="CharactersLost">
/// Characters its call in flight had returned that the new device computed differently (a device of another backend or
/// precision): the call failed with a <see cref="CharRnnException"/> and the conversation is back at its state before the
/// call, without them. 0 on a pool of identical devices.
/// </param>
public sealed record ConversationRecovery(Generator Conversation, int FromDevice, int ToDevice, long CharactersReplayed, long CharactersLost);
