namespace CharRnn.Bindings.TensorRT;

/// <summary>The <c>nvinfer1::ElementWiseOperation</c> values the bindings use.</summary>
public enum ElementWiseOperation
{
    /// <summary>a + b.</summary>
    Sum = 0,
    /// <summary>a * b.</summary>
    Product = 1,
}
