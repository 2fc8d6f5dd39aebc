using CharRnn.Inference.Model;

namespace CharRnn.Inference.Conversion;

/// <summary>
/// Converts TensorFlow BasicLSTMCell weights to TensorRT's per-gate layout (FACTS.md sections 2-3). A pure function.
/// </summary>
public static class TfToTrtWeightConverter
{
    // TensorFlow's kernel columns are blocks i, j, f, o; TensorRT's gates are i, c(=j), f, o: the same order, so
    // block g of the TF columns becomes TensorRT gate g.
    private const int GateCount = 4;

    /// <summary>Converts a model.</summary>
    public static NetworkWeights Convert(CharRnnModel model, ConversionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new ConversionOptions();
        var layers = new TrtLstmLayer[model.Layers.Count];
        for (int k = 0; k < layers.Length; k++)
        {
            layers[k] = ConvertLayer(model.Layers[k], options.ForgetBias);
        }
        var dims = model.Dimensions;
        float[] fc = Transpose(model.SoftmaxWeights.Values, dims.HiddenSize, dims.VocabularySize);
        float[] fcBias = model.SoftmaxBias.Values.ToArray();
        float[]? embedding = model.Embedding?.Values.ToArray();
        return new NetworkWeights(dims, layers, embedding, fc, fcBias, options.ForgetBias);
    }

    /// <summary>
    /// Converts one layer: kernel rows <c>0..input-1</c> (multiplying x) become W, rows <c>input..</c> (multiplying h)
    /// become R, each transposed per gate to <c>[hidden][rows]</c>; the TF bias becomes Wb with the forget bias added
    /// to gate f; Rb is zeros.
    /// </summary>
    public static TrtLstmLayer ConvertLayer(LstmLayerWeights layer, float forgetBias = 0f)
    {
        ArgumentNullException.ThrowIfNull(layer);
        int input = layer.InputSize, hidden = layer.HiddenSize, columns = GateCount * hidden;
        var kernel = layer.Kernel.Values;
        var w = new float[GateCount * hidden * input];
        var r = new float[GateCount * hidden * hidden];
        for (int g = 0; g < GateCount; g++)
        {
            for (int u = 0; u < hidden; u++)
            {
                int column = g * hidden + u;
                int wRow = (g * hidden + u) * input;
                for (int i = 0; i < input; i++)
                {
                    w[wRow + i] = kernel[i * columns + column];
                }
                int rRow = (g * hidden + u) * hidden;
                for (int j = 0; j < hidden; j++)
                {
                    r[rRow + j] = kernel[(input + j) * columns + column];
                }
            }
        }
        var wb = layer.Bias.Values.ToArray();
        if (forgetBias != 0f)
        {
            for (int u = 0; u < hidden; u++)
            {
                wb[(int)TrtGate.Forget * hidden + u] += forgetBias;
            }
        }
        return new TrtLstmLayer(input, hidden, w, r, wb, new float[columns]);
    }

    private static float[] Transpose(ReadOnlySpan<float> source, int rows, int columns)
    {
        var result = new float[source.Length];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < columns; j++)
            {
                result[j * rows + i] = source[i * columns + j];
            }
        }
        return result;
    }
}
