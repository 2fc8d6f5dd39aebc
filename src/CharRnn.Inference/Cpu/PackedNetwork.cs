using System.Numerics;
using CharRnn.Inference.Conversion;

namespace CharRnn.Inference.Cpu;

/// <summary>
/// The CPU engine's weights in <see cref="GateKernel"/>'s layout, packed once when the engine is built: per LSTM layer one
/// matrix of panels (layer 0: R alone, since its input product comes from <see cref="Table"/>; the layers above: W and R
/// side by side, so that x and h are one input of length input + hidden), and the output layer in panels of vocabulary
/// rows. Hidden units and vocabulary rows are padded to whole vectors and panels with zero weights and biases; a padded
/// unit's c and h stay zero. Immutable.
/// </summary>
internal sealed class PackedNetwork
{
    public PackedNetwork(NetworkWeights network, float[] inputTable, CpuPrecision precision)
    {
        var dims = network.Dimensions;
        Lanes = Vector<float>.Count;
        Hidden = dims.HiddenSize;
        Vocabulary = dims.VocabularySize;
        PaddedHidden = (Hidden + Lanes - 1) / Lanes * Lanes;
        int panelRows = 4 * Lanes;
        PaddedVocabulary = (Vocabulary + panelRows - 1) / panelRows * panelRows;
        int hidden = Hidden, padded = PaddedHidden, lanes = Lanes, vocab = Vocabulary;

        // Gate g of unit u is row g * hidden + u of W and R (TrtLstmLayer); panel p holds units p * lanes ...
        int GateRow(int panel, int gate, int lane)
        {
            int unit = panel * lanes + lane;
            return unit < hidden ? gate * hidden + unit : -1;
        }
        Layers = new PackedPanels[dims.LayerCount];
        Bias = new float[dims.LayerCount][];
        for (int k = 0; k < dims.LayerCount; k++)
        {
            var layer = network.Layers[k];
            float[] w = layer.InputWeightsArray, r = layer.RecurrentWeightsArray;
            int input = layer.InputSize;
            Layers[k] = k == 0
                ? PackedPanels.Pack(padded / lanes, hidden, precision, GateRow, (row, c) => r[row * hidden + c])
                : PackedPanels.Pack(padded / lanes, input + hidden, precision, GateRow,
                    (row, c) => c < input ? w[row * input + c] : r[row * hidden + c - input]);
            Bias[k] = PadGates(layer.InputBiasArray.Zip(layer.RecurrentBiasArray, (a, b) => a + b).ToArray());
        }
        Table = new float[vocab * 4 * padded];
        for (int v = 0; v < vocab; v++)
        {
            PadGates(inputTable.AsSpan(v * 4 * hidden, 4 * hidden).ToArray()).CopyTo(Table, v * 4 * padded);
        }
        float[] fc = network.FcWeightsArray;
        Fc = PackedPanels.Pack(PaddedVocabulary / panelRows, hidden, precision,
            (panel, group, lane) => panel * panelRows + group * lanes + lane is var row && row < vocab ? row : -1,
            (row, c) => fc[row * hidden + c]);
        FcBias = new float[PaddedVocabulary];
        network.FcBiasArray.CopyTo(FcBias, 0);
    }

    /// <summary>Floats per vector: a panel is four groups of this many rows.</summary>
    public int Lanes { get; }

    public int Hidden { get; }

    /// <summary>Hidden units rounded up to whole vectors: the stride of h, c and each gate's pre-activations.</summary>
    public int PaddedHidden { get; }

    public int Vocabulary { get; }

    /// <summary>Vocabulary rounded up to whole panels: the stride of the output layer's results.</summary>
    public int PaddedVocabulary { get; }

    /// <summary>Per layer, its gate weights in panels of <see cref="Lanes"/> units x 4 gates.</summary>
    public PackedPanels[] Layers { get; }

    /// <summary>Per layer, Wb + Rb as <c>[4][PaddedHidden]</c> (layer 0's is in <see cref="Table"/> and unused).</summary>
    public float[][] Bias { get; }

    /// <summary>Layer 0's pre-activations per character (the engine's input table), <c>[vocab][4][PaddedHidden]</c>.</summary>
    public float[] Table { get; }

    /// <summary>The output layer in panels of 4 x <see cref="Lanes"/> vocabulary rows.</summary>
    public PackedPanels Fc { get; }

    /// <summary>The output bias, <c>[PaddedVocabulary]</c>.</summary>
    public float[] FcBias { get; }

    /// <summary>Multiply-adds per stream per step (for deciding whether a step is worth several threads).</summary>
    public long MultiplyAddsPerStream => Layers.Sum(l => (long)l.Panels * 4 * Lanes * l.Depth) + (long)Fc.Panels * 4 * Lanes * Fc.Depth;

    // [4][hidden] to [4][PaddedHidden], zeros in the padding.
    private float[] PadGates(float[] gates)
    {
        var padded = new float[4 * PaddedHidden];
        for (int g = 0; g < 4; g++)
        {
            gates.AsSpan(g * Hidden, Hidden).CopyTo(padded.AsSpan(g * PaddedHidden));
        }
        return padded;
    }
}
