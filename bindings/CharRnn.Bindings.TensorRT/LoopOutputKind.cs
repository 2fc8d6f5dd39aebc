namespace CharRnn.Bindings.TensorRT;

/// <summary><c>nvinfer1::LoopOutput</c>: what a loop output collects.</summary>
public enum LoopOutputKind
{
    /// <summary>The value after the last iteration.</summary>
    LastValue = 0,
    /// <summary>Every iteration's value, stacked along an axis.</summary>
    Concatenate = 1,
    /// <summary>Every iteration's value, stacked in reverse order.</summary>
    Reverse = 2,
}
