using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Generation;

/// <summary>
/// A saved conversation: the recurrent state (h, c and the pending logits), the sampling position, and the sampling rule
/// and seed of the generator it was taken from, with the <see cref="ModelFingerprint"/> of its model. It restores on any
/// engine of the same model (another backend, another engine instance, another process: write it with
/// <see cref="WriteTo"/> or <see cref="ToBytes"/> and read it back with <see cref="Read"/> or <see cref="FromBytes"/>;
/// docs/SNAPSHOT-FORMAT.md gives the bytes). Immutable and thread-safe.
/// </summary>
/// <remarks>
/// <see cref="Generator.Restore"/> takes the state and position and keeps the generator's own options; to continue with
/// the snapshot's sampling rule and seed, create the generator from the snapshot
/// (<see cref="GeneratorFactoryExtensions.CreateGenerator(IGeneratorFactory, GeneratorSnapshot, GeneratorOptions?)"/>).
/// A float32 snapshot restored on the same backend continues with exactly the text the original generator would have
/// produced; on another backend or precision, with the text that backend computes from the same state.
/// </remarks>
public sealed class GeneratorSnapshot
{
    internal GeneratorSnapshot(ModelFingerprint model, ModelDimensions dimensions, float[] state, bool hasLogits, long position,
        SamplingOptions sampling, ulong seed)
    {
        ModelFingerprint = model;
        Dimensions = dimensions;
        State = state;
        IsPrimed = hasLogits;
        Position = position;
        Sampling = sampling;
        Seed = seed;
    }

    /// <summary>The model the snapshot was taken on.</summary>
    public ModelFingerprint ModelFingerprint { get; }

    /// <summary>The sizes of that model.</summary>
    public ModelDimensions Dimensions { get; }

    /// <summary>Number of characters sampled before the snapshot (the random-number counter).</summary>
    public long Position { get; }

    /// <summary>Whether text had been fed, so that there is a prediction to sample from.</summary>
    public bool IsPrimed { get; }

    /// <summary>The sampling rule of the generator the snapshot was taken from.</summary>
    public SamplingOptions Sampling { get; }

    /// <summary>The seed of the generator the snapshot was taken from.</summary>
    public ulong Seed { get; }

    /// <summary>The state in the one-stream layout of <see cref="EngineSession.StreamStateLength"/>.</summary>
    internal float[] State { get; }

    /// <summary>Writes the snapshot in the binary format of docs/SNAPSHOT-FORMAT.md (the stream is not closed).</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(ToBytes());
    }

    /// <summary>The snapshot in the binary format of docs/SNAPSHOT-FORMAT.md.</summary>
    public byte[] ToBytes() => SnapshotFormat.Write(this);

    /// <summary>
    /// Reads one snapshot from <paramref name="stream"/> and leaves the stream right after it. Memory grows only with the
    /// bytes actually read, never with a length the bytes claim.
    /// </summary>
    /// <exception cref="SnapshotFormatException">Not a snapshot, an unknown version, truncated or damaged; names what and where.</exception>
    public static GeneratorSnapshot Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return SnapshotFormat.Read(stream);
    }

    /// <summary>Reads a snapshot that fills <paramref name="bytes"/> exactly.</summary>
    /// <exception cref="SnapshotFormatException">Not a snapshot, an unknown version, truncated, damaged or followed by other bytes.</exception>
    public static GeneratorSnapshot FromBytes(ReadOnlySpan<byte> bytes) => SnapshotFormat.Parse(bytes, exact: true);

    /// <summary>Checks that the snapshot restores on <paramref name="engine"/>, before anything is touched.</summary>
    /// <exception cref="SnapshotMismatchException">Another model: names the dimensions that differ, or the fingerprints.</exception>
    internal void EnsureFits(InferenceEngine engine)
    {
        var expected = engine.Dimensions;
        if (Dimensions != expected)
        {
            throw new SnapshotMismatchException(
                $"The snapshot was taken on another model: {DescribeDifference(Dimensions, expected)}. Restore it on an engine of the model it was taken on.",
                ModelFingerprint, engine.ModelFingerprint);
        }
        if (ModelFingerprint != engine.ModelFingerprint)
        {
            throw new SnapshotMismatchException(
                $"The snapshot was taken on another model of the same dimensions ({expected}): its weights or vocabulary differ " +
                $"(model fingerprint {ModelFingerprint}, the engine's {engine.ModelFingerprint}). Restore it on an engine of the model it was taken on.",
                ModelFingerprint, engine.ModelFingerprint);
        }
    }

    private static string DescribeDifference(ModelDimensions snapshot, ModelDimensions engine)
    {
        var parts = new List<string>(5);
        void Compare<T>(string name, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b))
            {
                parts.Add($"{name} {a} in the snapshot, {b} in the engine");
            }
        }
        Compare("layers", snapshot.LayerCount, engine.LayerCount);
        Compare("hidden size", snapshot.HiddenSize, engine.HiddenSize);
        Compare("input size", snapshot.InputSize, engine.InputSize);
        Compare("vocabulary size", snapshot.VocabularySize, engine.VocabularySize);
        Compare("embedding", snapshot.HasEmbedding, engine.HasEmbedding);
        return string.Join("; ", parts);
    }
}
