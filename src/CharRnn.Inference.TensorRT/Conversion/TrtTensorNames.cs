using System.Globalization;

namespace CharRnn.Inference.TensorRT.Conversion;

/// <summary>The names of the network's inputs and outputs, shared by the builder and the session that binds them.</summary>
internal static class TrtTensorNames
{
    /// <summary>Input: token ids <c>[steps][streams]</c>, int32.</summary>
    public const string Tokens = "tokens";

    /// <summary>Output: logits of every step <c>[steps][streams][vocab]</c>.</summary>
    public const string Logits = "logits";

    /// <summary>Output: the argmax of the last step's logits <c>[streams][1]</c>, int32 (TopK kMAX, k = 1).</summary>
    public const string NextToken = "next_token";

    public static string HiddenIn(int layer) => string.Create(CultureInfo.InvariantCulture, $"h_in_{layer}");

    public static string CellIn(int layer) => string.Create(CultureInfo.InvariantCulture, $"c_in_{layer}");

    public static string HiddenOut(int layer) => string.Create(CultureInfo.InvariantCulture, $"h_out_{layer}");

    public static string CellOut(int layer) => string.Create(CultureInfo.InvariantCulture, $"c_out_{layer}");
}
