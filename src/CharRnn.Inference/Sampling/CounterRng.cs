namespace CharRnn.Inference.Sampling;

/// <summary>
/// A counter-based random number generator: the number for (seed, stream, counter) is a pure function of the three,
/// so results are reproducible per seed whatever the batching or chunking, and GPU kernels compute the same bits.
/// SplitMix64's finalizer applied twice; kernels must implement exactly this.
/// </summary>
public static class CounterRng
{
    /// <summary>A 64-bit hash of (seed, stream, counter).</summary>
    public static ulong Next(ulong seed, int stream, long counter)
    {
        ulong x = Mix(seed + 0x9E3779B97F4A7C15UL * ((ulong)(uint)stream + 1UL));
        return Mix(x ^ ((ulong)counter * 0xD1B54A32D192ED03UL + 0x8CB92BA72F3D8DD7UL));
    }

    /// <summary>A float in [0, 1) with 24 random bits.</summary>
    public static float Uniform(ulong seed, int stream, long counter) =>
        (Next(seed, stream, counter) >> 40) * (1f / (1 << 24));

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
