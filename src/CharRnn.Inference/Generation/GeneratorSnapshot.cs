namespace CharRnn.Inference.Generation;

/// <summary>A saved generator state (h, c, pending logits and the sampling position) to return to later. Immutable.</summary>
public sealed class GeneratorSnapshot
{
    internal GeneratorSnapshot(object owner, float[] state, bool hasLogits, long position)
    {
        Owner = owner;
        State = state;
        HasLogits = hasLogits;
        Position = position;
    }

    internal object Owner { get; }
    internal float[] State { get; }
    internal bool HasLogits { get; }

    /// <summary>Number of characters sampled before the snapshot.</summary>
    public long Position { get; }
}
