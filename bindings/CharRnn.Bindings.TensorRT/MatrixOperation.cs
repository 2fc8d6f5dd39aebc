namespace CharRnn.Bindings.TensorRT;

/// <summary><c>nvinfer1::MatrixOperation</c>: how a matrix-multiply operand is read.</summary>
public enum MatrixOperation
{
    /// <summary>As is.</summary>
    None = 0,
    /// <summary>Transposed (the last two dimensions swapped).</summary>
    Transpose = 1,
    /// <summary>As a vector (a batch of vectors in the last dimension).</summary>
    Vector = 2,
}
