using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Weights.Wts;

/// <summary>Reads TensorRT .wts V2 (binary) files. FACTS.md section 1.</summary>
internal static class WeightFileV2Reader
{
    public static WeightSet Read(Stream stream, string source, WeightLoadOptions options, ILogger logger)
        => throw new NotImplementedException();
}
