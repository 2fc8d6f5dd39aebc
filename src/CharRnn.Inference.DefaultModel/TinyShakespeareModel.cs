using CharRnn.Inference.Model;
using CharRnn.Inference.Weights;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CharRnn.Inference.DefaultModel;

/// <summary>
/// The embedded default model: sampleCharRNN's network (2 x 512 LSTM, embedding 512, its 65-character map) trained by
/// this project on tiny Shakespeare (docs/MODEL.md). Stored as a float16 V2 .wts resource and read on first use.
/// </summary>
public static class TinyShakespeareModel
{
    /// <summary>The manifest resource name of the embedded weight file.</summary>
    public const string ResourceName = "CharRnn.Models.shakespeare-2x512.wts";

    private static readonly Lazy<CharRnnModel> Cached = new(() => Load(NullLoggerFactory.Instance));

    /// <summary>The model, loaded once on first use and shared (models are immutable).</summary>
    public static CharRnnModel Instance => Cached.Value;

    /// <summary>Loads a fresh copy of the model, logging to <paramref name="loggerFactory"/>.</summary>
    public static CharRnnModel Load(ILoggerFactory? loggerFactory = null)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        using var stream = typeof(TinyShakespeareModel).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new CharRnnException($"The embedded default model '{ResourceName}' is missing from {typeof(TinyShakespeareModel).Assembly.GetName().Name}.");
        var weights = WeightLoader.Load(stream, "embedded default model",
            new WeightLoadOptions { Include = TfVariableNames.IsInferenceTensor }, loggerFactory.CreateLogger(typeof(TinyShakespeareModel)));
        return CharRnnModel.FromWeights(weights, new ModelLoadOptions { Vocabulary = Vocabulary.SampleCharRnn }, loggerFactory);
    }
}
