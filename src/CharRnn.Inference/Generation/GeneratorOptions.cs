using CharRnn.Inference.Model;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Generation;

/// <summary>How a <see cref="Generator"/> samples and stops. Immutable.</summary>
public sealed record GeneratorOptions
{
    private readonly int _chunkSize = 32;

    /// <summary>The sampling rule; default greedy (sampleCharRNN's argmax).</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Seed of the counter-based random numbers: the same seed gives the same text.</summary>
    public ulong Seed { get; init; }

    /// <summary>Generation stops right after any of these strings is produced (the string is included in the output).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>What to do with prime characters the vocabulary lacks (default: throw, listing them).</summary>
    public UnknownCharacterPolicy UnknownCharacters { get; init; } = UnknownCharacterPolicy.Throw;

    /// <summary>The character that replaces unknown ones under <see cref="UnknownCharacterPolicy.Replace"/>.</summary>
    public char ReplacementCharacter { get; init; } = ' ';

    /// <summary>
    /// Characters generated per engine call while streaming (<see cref="Generator.GenerateAsync"/>), and between the
    /// checks for stop strings; larger chunks cost fewer calls, smaller ones arrive sooner. Each call costs tens of
    /// microseconds on a GPU, a noticeable share of a character's time at batch 1 with the default 32
    /// (docs/PERFORMANCE.md#streaming-chunk-size), so streams read by programs rather than people gain from chunks of a
    /// thousand or more.
    /// </summary>
    public int ChunkSize
    {
        get => _chunkSize;
        init => _chunkSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(ChunkSize), value, "The chunk size must be at least 1.");
    }
}
