namespace CharRnn.Inference.Conversion;

/// <summary>
/// One LSTM layer in TensorRT's per-gate layout (FACTS.md section 3), gates in order i, c, f, o
/// (TensorRT's c is TensorFlow's j):
/// <see cref="InputWeights"/> <c>[4][hidden][input]</c>, <see cref="RecurrentWeights"/> <c>[4][hidden][hidden]</c>,
/// both row-major so that row <c>g * hidden + u</c> is the weight vector of gate g, unit u;
/// <see cref="InputBias"/> and <see cref="RecurrentBias"/> <c>[4][hidden]</c>. Gate pre-activations are
/// <c>W x + Wb + R h + Rb</c>.
/// </summary>
public sealed class TrtLstmLayer
{
    internal TrtLstmLayer(int inputSize, int hiddenSize, float[] inputWeights, float[] recurrentWeights, float[] inputBias, float[] recurrentBias)
    {
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        InputWeightsArray = inputWeights;
        RecurrentWeightsArray = recurrentWeights;
        InputBiasArray = inputBias;
        RecurrentBiasArray = recurrentBias;
    }

    /// <summary>Width of the layer input.</summary>
    public int InputSize { get; }

    /// <summary>Width of h and c.</summary>
    public int HiddenSize { get; }

    /// <summary>W: <c>[4][hidden][input]</c>, gates i, c, f, o.</summary>
    public ReadOnlySpan<float> InputWeights => InputWeightsArray;

    /// <summary>R: <c>[4][hidden][hidden]</c>, gates i, c, f, o.</summary>
    public ReadOnlySpan<float> RecurrentWeights => RecurrentWeightsArray;

    /// <summary>Wb: <c>[4][hidden]</c>: the TensorFlow bias, with the forget bias folded into gate f.</summary>
    public ReadOnlySpan<float> InputBias => InputBiasArray;

    /// <summary>Rb: <c>[4][hidden]</c>: zeros, as sampleCharRNN writes it.</summary>
    public ReadOnlySpan<float> RecurrentBias => RecurrentBiasArray;

    internal float[] InputWeightsArray { get; }
    internal float[] RecurrentWeightsArray { get; }
    internal float[] InputBiasArray { get; }
    internal float[] RecurrentBiasArray { get; }
}
