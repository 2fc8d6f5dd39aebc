namespace CharRnn.Bindings.TensorRT;

/// <summary><c>nvinfer1::TopKOperation</c>.</summary>
public enum TopKOperation
{
    /// <summary>The k largest.</summary>
    Max = 0,
    /// <summary>The k smallest.</summary>
    Min = 1,
}
