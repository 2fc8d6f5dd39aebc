using CharRnn.Inference.Weights;

namespace CharRnn.Inference.Model;

/// <summary>
/// One LSTM layer in TensorFlow's BasicLSTMCell layout (FACTS.md section 2): <see cref="Kernel"/> is
/// <c>[input + hidden, 4 * hidden]</c> multiplying <c>concat([x, h])</c>, columns in gate order i, j, f, o;
/// <see cref="Bias"/> is <c>[4 * hidden]</c>.
/// </summary>
/// <param name="Kernel">The kernel tensor.</param>
/// <param name="Bias">The bias tensor.</param>
/// <param name="InputSize">Width of the layer's input x.</param>
/// <param name="HiddenSize">Width of h and c.</param>
public sealed record LstmLayerWeights(WeightTensor Kernel, WeightTensor Bias, int InputSize, int HiddenSize);
