namespace CharRnn.Inference;

/// <summary>
/// The network computed NaN or infinite logits, so there is no distribution to sample or score: its weights are so large
/// that the float32 arithmetic overflowed (or they hold NaN). <see cref="Step"/> says where it was found.
/// </summary>
public sealed class NonFiniteLogitsException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteLogitsException() : this(step: null, stream: null) { }

    /// <summary>Creates the exception with a message.</summary>
    public NonFiniteLogitsException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public NonFiniteLogitsException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for the step (and stream) whose logits are not finite.</summary>
    /// <param name="step">The generation step (the character's position since the last reset), or the scored character's index; null when not known.</param>
    /// <param name="stream">The stream of a batch, when known.</param>
    public NonFiniteLogitsException(long? step, int? stream)
        : base($"The model's logits are NaN or infinite{Where(step, stream)}, so no character can be sampled or scored. " +
            "Its weights overflow float32 arithmetic (or hold NaN): check or retrain the model.")
    {
        Step = step;
        Stream = stream;
    }

    /// <summary>The step whose logits were not finite, when known.</summary>
    public long? Step { get; }

    /// <summary>The stream whose logits were not finite, when known.</summary>
    public int? Stream { get; }

    private static string Where(long? step, int? stream) => (step, stream) switch
    {
        (null, null) => "",
        (not null, null) => $" at step {step}",
        (null, not null) => $" in stream {stream}",
        _ => $" at step {step} of stream {stream}",
    };
}
