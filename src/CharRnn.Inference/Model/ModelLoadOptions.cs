using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Model;

/// <summary>How to load a model.</summary>
public sealed record ModelLoadOptions
{
    /// <summary>Path of a tensorflow-char-rnn <c>vocab.json</c>. Without it (and without <see cref="Vocabulary"/>), a 65-class model gets sampleCharRNN's built-in map.</summary>
    public string? VocabularyPath { get; init; }

    /// <summary>A vocabulary to use as is; takes precedence over <see cref="VocabularyPath"/>.</summary>
    public Vocabulary? Vocabulary { get; init; }

    /// <summary>What to do with NaN or infinite weights (default: refuse the file).</summary>
    public NonFiniteWeightPolicy NonFiniteWeights { get; init; } = NonFiniteWeightPolicy.Throw;
}
