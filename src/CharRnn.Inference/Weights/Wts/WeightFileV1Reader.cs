using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Weights.Wts;

/// <summary>Reads TensorRT .wts V1 (hex text) files. FACTS.md section 1.</summary>
internal static class WeightFileV1Reader
{
    public static WeightSet Read(Stream stream, string source, WeightLoadOptions options, ILogger logger)
        => throw new NotImplementedException();
}
