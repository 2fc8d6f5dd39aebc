namespace CharRnn.Inference.Sampling;

/// <summary>
/// How the next character is chosen from the logits. Temperature 0 is greedy (argmax, as sampleCharRNN); otherwise
/// the distribution <c>softmax((logits - max) / T)</c> is cut to the <see cref="TopK"/> most likely characters, then to
/// the smallest set whose probability reaches <see cref="TopP"/>, and sampled with a counter-based random number
/// (see <see cref="TokenSampler"/>). Immutable.
/// </summary>
public sealed record SamplingOptions
{
    private readonly float _temperature = 1f;
    private readonly int _topK;
    private readonly float _topP = 1f;

    /// <summary>Argmax, lowest id on ties: sampleCharRNN's rule.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0f };

    /// <summary>Softmax temperature; 0 means greedy. Must be finite and not negative.</summary>
    public float Temperature
    {
        get => _temperature;
        init => _temperature = float.IsFinite(value) && value >= 0f
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Temperature), value, "The temperature must be a finite number >= 0 (0 is greedy).");
    }

    /// <summary>Keep only the K most likely characters; 0 keeps all.</summary>
    public int TopK
    {
        get => _topK;
        init => _topK = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(TopK), value, "top-k must be >= 0 (0 disables it).");
    }

    /// <summary>Keep the smallest set of most likely characters whose probability reaches P; 1 keeps all. In (0, 1].</summary>
    public float TopP
    {
        get => _topP;
        init => _topP = value > 0f && value <= 1f
            ? value
            : throw new ArgumentOutOfRangeException(nameof(TopP), value, "top-p must be in (0, 1] (1 disables it).");
    }

    /// <summary>
    /// Whether this is argmax: temperature 0, or a temperature so small that <c>1 / T</c> overflows float32 (below about
    /// 2.9e-39), where every weight but the largest would vanish and the distribution is the argmax.
    /// </summary>
    public bool IsGreedy => _temperature == 0f || float.IsInfinity(1f / _temperature);
}
