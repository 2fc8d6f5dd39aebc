namespace CharRnn.Inference.Cuda;

/// <summary>
/// The token the kernels write to a generation's output row for logits without a finite maximum (Kernels/
/// lstm_persistent.cu, TOKEN_NONFINITE), where <see cref="Sampling.TokenSampler"/> throws; the kernels feed token 0 to the
/// next step instead, so the state goes on without reading outside a table, and the host reports the step.
/// </summary>
internal static class NonFiniteTokens
{
    /// <summary>The sentinel id; every real id is 0 or more.</summary>
    public const int Sentinel = -1;

    /// <summary>
    /// Throws <see cref="NonFiniteLogitsException"/> naming the first sentinel in <paramref name="tokens"/>
    /// (<c>[steps][streams]</c>, its first row at step <paramref name="firstStep"/>).
    /// </summary>
    public static void ThrowIfAny(ReadOnlySpan<int> tokens, int streams, long firstStep)
    {
        int at = tokens.IndexOf(Sentinel);
        if (at >= 0)
        {
            throw new NonFiniteLogitsException(firstStep + at / streams, streams == 1 ? null : at % streams);
        }
    }
}
