using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.TensorRT.Conversion;

namespace CharRnn.Inference.TensorRT.Plans;

/// <summary>
/// What a serialized plan depends on: the weights (SHA-256 of every converted tensor and the dimensions), the TensorRT
/// version and the GPU's compute capability (plans are tied to both: FACTS.md section 4), the precision, the shape
/// the network was built for and the description's format version. <see cref="FileName"/> is its SHA-256.
/// </summary>
internal sealed record PlanCacheKey(string WeightsDigest, string TensorRtVersion, string ComputeCapability, TensorRtPrecision Precision, int Streams, int Steps)
{
    public int FormatVersion { get; init; } = CharRnnNetworkBuilder.FormatVersion;

    public string FileName
    {
        get
        {
            string text = string.Create(CultureInfo.InvariantCulture,
                $"charrnn-trt|format={FormatVersion}|weights={WeightsDigest}|trt={TensorRtVersion}|sm={ComputeCapability}|precision={Precision}|streams={Streams}|steps={Steps}");
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))) + ".plan";
        }
    }

    /// <summary>SHA-256 over the network's dimensions, forget bias and every weight array, in a fixed order.</summary>
    public static string DigestWeights(NetworkWeights network)
    {
        ArgumentNullException.ThrowIfNull(network);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var dims = network.Dimensions;
        Span<int> header = [dims.LayerCount, dims.HiddenSize, dims.InputSize, dims.VocabularySize, dims.HasEmbedding ? 1 : 0, BitConverter.SingleToInt32Bits(network.ForgetBias)];
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(header));
        foreach (var layer in network.Layers)
        {
            Append(hash, layer.InputWeights);
            Append(hash, layer.RecurrentWeights);
            Append(hash, layer.InputBias);
            Append(hash, layer.RecurrentBias);
        }
        Append(hash, network.Embedding);
        Append(hash, network.FcWeights);
        Append(hash, network.FcBias);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static void Append(IncrementalHash hash, ReadOnlySpan<float> values)
    {
        // The length first, so that moving values between adjacent arrays changes the digest.
        Span<long> length = [values.Length];
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(length));
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }
}
