namespace CharRnn.Bindings.TensorRT;

/// <summary>The <c>nvinfer1::ActivationType</c> values the bindings use.</summary>
public enum ActivationType
{
    /// <summary>max(0, x).</summary>
    Relu = 0,
    /// <summary>1 / (1 + exp(-x)).</summary>
    Sigmoid = 1,
    /// <summary>tanh(x).</summary>
    Tanh = 2,
}
