namespace CharRnn.Inference.Conversion;

/// <summary>TensorRT's LSTM gate order, the order of the per-gate blocks in <see cref="TrtLstmLayer"/>.</summary>
public enum TrtGate
{
    /// <summary>Input gate (TensorFlow i).</summary>
    Input = 0,
    /// <summary>Cell candidate (TensorFlow j).</summary>
    Cell = 1,
    /// <summary>Forget gate (TensorFlow f).</summary>
    Forget = 2,
    /// <summary>Output gate (TensorFlow o).</summary>
    Output = 3,
}
