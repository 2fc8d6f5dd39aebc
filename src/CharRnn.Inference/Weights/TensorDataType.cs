namespace CharRnn.Inference.Weights;

/// <summary>
/// Element types of a weight record, numbered as TensorRT's DataType, which the <c>.wts</c> type field uses
/// (FACTS.md section 1). Only <see cref="Float32"/> and <see cref="Float16"/> can be loaded.
/// </summary>
public enum TensorDataType
{
    /// <summary>IEEE 754 single precision, 4 bytes.</summary>
    Float32 = 0,
    /// <summary>IEEE 754 half precision, 2 bytes.</summary>
    Float16 = 1,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 2,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 3,
    /// <summary>Boolean, 1 byte.</summary>
    Bool = 4,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 5,
    /// <summary>8-bit float.</summary>
    Fp8 = 6,
    /// <summary>bfloat16, 2 bytes.</summary>
    BFloat16 = 7,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 8,
}

/// <summary>Sizes of <see cref="TensorDataType"/> elements.</summary>
public static class TensorDataTypeExtensions
{
    /// <summary>Bytes per element, or null for a code outside TensorRT's DataType.</summary>
    public static int? ElementSize(this TensorDataType type) => type switch
    {
        TensorDataType.Float32 or TensorDataType.Int32 => 4,
        TensorDataType.Float16 or TensorDataType.BFloat16 => 2,
        TensorDataType.Int8 or TensorDataType.Bool or TensorDataType.UInt8 or TensorDataType.Fp8 => 1,
        TensorDataType.Int64 => 8,
        _ => null,
    };
}
