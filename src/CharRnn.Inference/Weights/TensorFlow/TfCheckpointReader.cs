using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Weights.TensorFlow;

/// <summary>Reads TensorFlow checkpoints (tensor bundles: an SSTable index plus data shards).</summary>
internal static class TfCheckpointReader
{
    /// <summary>True when <paramref name="path"/> names a checkpoint: a prefix with a sibling <c>.index</c>, or the <c>.index</c> itself.</summary>
    public static bool TryResolvePrefix(string path, [NotNullWhen(true)] out string? prefix)
    {
        if (path.EndsWith(".index", StringComparison.Ordinal) && File.Exists(path))
        {
            prefix = path[..^".index".Length];
            return true;
        }
        if (!File.Exists(path) && File.Exists(path + ".index"))
        {
            prefix = path;
            return true;
        }
        prefix = null;
        return false;
    }

    public static WeightSet Read(string prefix, WeightLoadOptions options, ILogger logger)
        => throw new WeightFormatException($"Reading TensorFlow checkpoints is not implemented yet ('{prefix}'). Export a .wts file with dumpTFWts.py.");
}
