namespace CharRnn.Inference.Generation;

/// <summary>How well the model predicts a text: every character after the first is predicted from all before it.</summary>
/// <param name="LogLikelihood">Sum of the natural-log probabilities of the predicted characters.</param>
/// <param name="Predictions">Number of predicted characters (the text's length minus one).</param>
public readonly record struct ScoreResult(double LogLikelihood, long Predictions)
{
    /// <summary>Mean negative log-likelihood per character, in nats.</summary>
    public double MeanNegativeLogLikelihood => Predictions == 0 ? 0 : -LogLikelihood / Predictions;

    /// <summary><c>exp(mean NLL)</c>; 1 for a text of one character.</summary>
    public double Perplexity => Math.Exp(MeanNegativeLogLikelihood);

    /// <summary>Mean negative log-likelihood in bits per character.</summary>
    public double BitsPerCharacter => MeanNegativeLogLikelihood / Math.Log(2);
}
