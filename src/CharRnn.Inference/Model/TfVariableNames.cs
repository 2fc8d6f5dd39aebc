using System.Text.RegularExpressions;

namespace CharRnn.Inference.Model;

/// <summary>
/// The variable names tensorflow-char-rnn checkpoints use, as they appear in a .wts file ('/' replaced by '_')
/// or in the checkpoint itself (FACTS.md sections 1-2).
/// </summary>
public static partial class TfVariableNames
{
    /// <summary>The embedding matrix <c>[vocab, emb]</c>, present only for models trained with an embedding.</summary>
    public const string Embedding = "embedding";

    /// <summary>The output projection <c>[hidden, vocab]</c>.</summary>
    public const string SoftmaxWeights = "softmax_softmax_w";

    /// <summary>The output bias <c>[vocab]</c>.</summary>
    public const string SoftmaxBias = "softmax_softmax_b";

    /// <summary>
    /// Matches an LSTM kernel or bias: <c>rnn_multi_rnn_cell_cell_{k}_{basic_lstm_cell|lstm_cell}_{kernel|bias}</c>,
    /// TF 1.1's <c>weights</c>/<c>biases</c>, and single-layer <c>rnn_{cell}_{...}</c> without <c>multi_rnn_cell</c>.
    /// Group <c>layer</c> is empty for a single-layer model; <c>kind</c> is kernel/weights or bias/biases.
    /// </summary>
    [GeneratedRegex(@"^rnn_(?:multi_rnn_cell_cell_(?<layer>\d+)_)?(?<cell>basic_lstm_cell|lstm_cell)_(?<kind>kernel|weights|bias|biases)$", RegexOptions.CultureInvariant)]
    public static partial Regex LstmVariable();

    /// <summary>Normalizes a TensorFlow checkpoint name (<c>rnn/multi_rnn_cell/...</c>) to the .wts spelling.</summary>
    public static string ToWtsName(string tfName) => tfName.Replace('/', '_');

    /// <summary>Whether a tensor of this (.wts-spelled) name is needed for inference; optimizer slots and scalars are not.</summary>
    public static bool IsInferenceTensor(string wtsName) =>
        wtsName is Embedding or SoftmaxWeights or SoftmaxBias || LstmVariable().IsMatch(wtsName);
}
