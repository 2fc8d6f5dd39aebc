namespace CharRnn.Inference.Conversion;

/// <summary>How to convert TensorFlow weights to TensorRT's layout.</summary>
public sealed record ConversionOptions
{
    /// <summary>
    /// The constant BasicLSTMCell adds to the forget gate at run time (never stored in the checkpoint). 0.0 is right
    /// for tensorflow-char-rnn (and sampleCharRNN's model); TensorFlow's default, used by other models, is 1.0.
    /// Folded into the forget gate's bias.
    /// </summary>
    public float ForgetBias { get; init; }
}
