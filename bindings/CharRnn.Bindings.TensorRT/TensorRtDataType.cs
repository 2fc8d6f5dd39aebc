namespace CharRnn.Bindings.TensorRT;

/// <summary>The subset of <c>nvinfer1::DataType</c> the bindings use (values are TensorRT's).</summary>
public enum TensorRtDataType
{
    /// <summary>32-bit float.</summary>
    Float = 0,
    /// <summary>32-bit signed integer.</summary>
    Int32 = 3,
    /// <summary>64-bit signed integer (TopK indices from TensorRT 10.14 on).</summary>
    Int64 = 8,
}
