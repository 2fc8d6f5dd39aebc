using CharRnn.Inference.Conversion;

namespace CharRnn.Benchmarks.Onnx;

/// <summary>
/// One greedy step of the char-rnn network as an ONNX graph, from the same converted weights as our engines and with
/// the same layer-0 shortcut (a Gather from the per-character input table instead of the embedding and W0): per layer
/// one MatMul (layer 0: h x R0^T; above: [x, h] x [W; R]^T, TensorFlow's own kernel layout), the bias Add, a Split into
/// i, j, f, o, Sigmoid/Tanh, and the cell's Mul/Add (FACTS.md section 2); then the output MatMul + Add and an ArgMax
/// that is the next step's token.
/// Inputs: <c>tokens</c> int64 [batch], <c>h{k}</c>, <c>c{k}</c> float [batch, hidden].
/// Outputs: <c>next</c> int64 [batch], <c>logits</c> [batch, vocab], <c>h{k}_out</c>, <c>c{k}_out</c>.
/// </summary>
internal static class LstmStepGraph
{
    public static byte[] Build(NetworkWeights network)
    {
        var dims = network.Dimensions;
        int hidden = dims.HiddenSize, vocab = dims.VocabularySize, rows = 4 * hidden;
        var m = new OnnxModel();
        string tokens = m.Input("tokens", OnnxModel.Int64, -1);
        string split = m.Initializer("gate_sizes", [4], [hidden, hidden, hidden, hidden]);
        string table = m.Initializer("input_table", [vocab, rows], Layer0InputTable.Compute(network));
        string? below = null;
        for (int k = 0; k < dims.LayerCount; k++)
        {
            var layer = network.Layers[k];
            string h = m.Input($"h{k}", OnnxModel.Float, -1, hidden);
            string c = m.Input($"c{k}", OnnxModel.Float, -1, hidden);
            string z;
            if (k == 0)
            {
                string r = m.Initializer("r0_t", [hidden, rows], Transpose(layer.RecurrentWeights.ToArray(), rows, hidden));
                string gathered = m.Node("Gather", [table, tokens], "l0_table", ("axis", 0));
                z = m.Node("Add", [gathered, m.Node("MatMul", [h, r], "l0_rh")], "l0_z");
            }
            else
            {
                int input = layer.InputSize;
                var kernel = new float[(input + hidden) * rows];
                Transpose(layer.InputWeights.ToArray(), rows, input).CopyTo(kernel, 0);
                Transpose(layer.RecurrentWeights.ToArray(), rows, hidden).CopyTo(kernel, input * rows);
                var bias = new float[rows];
                for (int r = 0; r < rows; r++) bias[r] = layer.InputBias[r] + layer.RecurrentBias[r];
                string w = m.Initializer($"kernel{k}", [input + hidden, rows], kernel);
                string b = m.Initializer($"bias{k}", [rows], bias);
                string xh = m.Node("Concat", [below!, h], $"l{k}_xh", ("axis", 1));
                z = m.Node("Add", [m.Node("MatMul", [xh, w], $"l{k}_mm"), b], $"l{k}_z");
            }
            string[] gates = [$"l{k}_i", $"l{k}_j", $"l{k}_f", $"l{k}_o"];
            m.Node("Split", [z, split], gates, ("axis", 1));
            string i = m.Node("Sigmoid", [gates[0]], $"l{k}_si");
            string j = m.Node("Tanh", [gates[1]], $"l{k}_tj");
            string f = m.Node("Sigmoid", [gates[2]], $"l{k}_sf");
            string o = m.Node("Sigmoid", [gates[3]], $"l{k}_so");
            string cNew = m.Node("Add", [m.Node("Mul", [c, f], $"l{k}_cf"), m.Node("Mul", [i, j], $"l{k}_ij")], $"c{k}_out");
            below = m.Node("Mul", [m.Node("Tanh", [cNew], $"l{k}_tc"), o], $"h{k}_out");
            m.Output($"h{k}_out", OnnxModel.Float, -1, hidden);
            m.Output($"c{k}_out", OnnxModel.Float, -1, hidden);
        }
        string fcW = m.Initializer("fc_t", [hidden, vocab], Transpose(network.FcWeights.ToArray(), vocab, hidden));
        string fcB = m.Initializer("fc_b", [vocab], network.FcBias.ToArray());
        string logits = m.Node("Add", [m.Node("MatMul", [below!, fcW], "fc_mm"), fcB], "logits");
        m.Node("ArgMax", [logits], "next", ("axis", 1), ("keepdims", 0));
        m.Output("next", OnnxModel.Int64, -1);
        m.Output("logits", OnnxModel.Float, -1, vocab);
        return m.ToBytes("char_rnn_step");
    }

    // [rows][cols] row-major to [cols][rows].
    private static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }
}
