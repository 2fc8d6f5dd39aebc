using CharRnn.Inference.Generation;

namespace CharRnn.Inference.AI;

/// <summary>Defaults of a <see cref="CharRnnChatClient"/>; a request's <c>ChatOptions</c> override them. Immutable.</summary>
public sealed record CharRnnChatClientOptions
{
    private readonly int _defaultMaxOutputTokens = 256;

    /// <summary>
    /// The generator settings a request starts from (sampling, seed, stop strings, unknown characters, chunk size);
    /// default greedy with seed 0, so that a request without options gives the same text every time.
    /// </summary>
    public GeneratorOptions Generator { get; init; } = new();

    /// <summary>Characters generated when a request does not set <c>ChatOptions.MaxOutputTokens</c> (a token is a character).</summary>
    public int DefaultMaxOutputTokens
    {
        get => _defaultMaxOutputTokens;
        init => _defaultMaxOutputTokens = value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(DefaultMaxOutputTokens), value, "The default length must be >= 0 characters.");
    }

    /// <summary>The model's name in responses and metadata; a request naming another model is refused.</summary>
    public string ModelId { get; init; } = "charrnn";
}
