namespace CharRnn.Inference.Weights;

/// <summary>
/// One named tensor of a weight file: its shape, the element type it was stored with, and its values widened to
/// float32 (float16 widens exactly). Immutable.
/// </summary>
public sealed class WeightTensor
{
    private readonly float[] _values;
    private readonly int[] _shape;

    /// <summary>Creates a tensor; <paramref name="values"/> must hold the product of <paramref name="shape"/> elements.</summary>
    public WeightTensor(string name, IReadOnlyList<int> shape, float[] values, TensorDataType storedType = TensorDataType.Float32)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(values);
        _shape = [.. shape];
        long count = 1;
        foreach (int d in _shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count *= d;
        }
        if (count != values.Length)
        {
            throw new ArgumentException(
                $"Tensor '{name}' has shape {FormatShape(_shape)} ({count} elements) but {values.Length} values.", nameof(values));
        }
        if (storedType is not (TensorDataType.Float32 or TensorDataType.Float16))
        {
            throw new ArgumentOutOfRangeException(nameof(storedType), storedType, "Only float32 and float16 tensors are supported.");
        }
        Name = name;
        _values = values;
        StoredType = storedType;
    }

    /// <summary>The tensor's name as stored (TensorFlow name with '/' replaced by '_' for .wts files).</summary>
    public string Name { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The element type the tensor was stored with.</summary>
    public TensorDataType StoredType { get; }

    /// <summary>The values in C order, as float32.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>Number of elements.</summary>
    public int ElementCount => _values.Length;

    /// <summary>The shape as Python's tuple text, as the .wts format writes it: <c>(1024, 2048)</c>, <c>(2048,)</c>, <c>()</c>.</summary>
    public string ShapeText => FormatShape(_shape);

    /// <inheritdoc />
    public override string ToString() => $"{Name} {StoredType} {ShapeText}";

    internal float[] ValuesArray => _values;

    /// <summary>Formats a shape as Python's tuple text.</summary>
    public static string FormatShape(IReadOnlyList<int> shape) => shape.Count switch
    {
        0 => "()",
        1 => $"({shape[0]},)",
        _ => $"({string.Join(", ", shape)})",
    };
}
