namespace CharRnn.Inference.Weights;

/// <summary>How to read a weight file.</summary>
public sealed record WeightLoadOptions
{
    /// <summary>
    /// Which records to load, by stored name (for a TensorFlow checkpoint, the variable name in .wts spelling, '/' replaced
    /// by '_'). Records it rejects are skipped without their values being read or
    /// allocated. Null loads every record. <see cref="Model.TfVariableNames.IsInferenceTensor"/> selects what a char-rnn needs.
    /// </summary>
    public Func<string, bool>? Include { get; init; }

    /// <summary>
    /// What to do with NaN or infinite weights. Default <see cref="NonFiniteWeightPolicy.Throw"/>: a model with
    /// non-finite weights generates garbage, so it is refused unless the caller asks otherwise.
    /// </summary>
    public NonFiniteWeightPolicy NonFiniteWeights { get; init; } = NonFiniteWeightPolicy.Throw;

    /// <summary>Options that load every record and refuse non-finite values.</summary>
    public static WeightLoadOptions Default { get; } = new();
}

/// <summary>What to do when a loaded tensor holds NaN or infinity.</summary>
public enum NonFiniteWeightPolicy
{
    /// <summary>Throw <see cref="WeightFormatException"/> naming the tensor and the first bad element.</summary>
    Throw = 0,
    /// <summary>Keep the values and log a warning.</summary>
    Warn,
}
