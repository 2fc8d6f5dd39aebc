namespace CharRnn.Inference.Generation;

/// <summary>Creating generators from snapshots, on any <see cref="IGeneratorFactory"/>.</summary>
public static class GeneratorFactoryExtensions
{
    /// <summary>
    /// Creates a generator that continues <paramref name="snapshot"/>: the snapshot's state and position, with its sampling
    /// rule and seed, so that it produces the text the original generator would have (exactly, for a float32 snapshot on
    /// the same backend). The caller owns the generator and disposes it.
    /// </summary>
    /// <param name="factory">An engine, a scheduler or a pool of the snapshot's model.</param>
    /// <param name="snapshot">The conversation to continue.</param>
    /// <param name="options">
    /// Everything else (stop strings, chunk size, unknown characters); its <see cref="GeneratorOptions.Sampling"/> and
    /// <see cref="GeneratorOptions.Seed"/> are replaced by the snapshot's. Null takes the defaults.
    /// </param>
    /// <exception cref="SnapshotMismatchException">The snapshot was taken on another model.</exception>
    public static Generator CreateGenerator(this IGeneratorFactory factory, GeneratorSnapshot snapshot, GeneratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(snapshot);
        var generator = factory.CreateGenerator((options ?? new GeneratorOptions()) with { Sampling = snapshot.Sampling, Seed = snapshot.Seed });
        try
        {
            generator.Restore(snapshot);
            return generator;
        }
        catch
        {
            generator.Dispose();
            throw;
        }
    }
}
