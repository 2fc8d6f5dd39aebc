using CharRnn.Inference.Weights;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CharRnn.Inference.Model;

/// <summary>
/// A char-rnn language model in TensorFlow layout: stacked BasicLSTMCell layers, an optional embedding and a
/// softmax projection, with the sizes read from the tensor shapes (nothing is assumed about 2 layers, 512 units
/// or 65 characters), and the vocabulary mapping characters to ids. Immutable and shareable.
/// </summary>
public sealed class CharRnnModel
{
    private CharRnnModel(ModelDimensions dimensions, IReadOnlyList<LstmLayerWeights> layers, WeightTensor? embedding,
        WeightTensor softmaxWeights, WeightTensor softmaxBias, Vocabulary vocabulary, WeightSet weights)
    {
        Dimensions = dimensions;
        Layers = layers;
        Embedding = embedding;
        SoftmaxWeights = softmaxWeights;
        SoftmaxBias = softmaxBias;
        Vocabulary = vocabulary;
        Weights = weights;
    }

    /// <summary>The network's sizes.</summary>
    public ModelDimensions Dimensions { get; }

    /// <summary>The LSTM layers, bottom first.</summary>
    public IReadOnlyList<LstmLayerWeights> Layers { get; }

    /// <summary>The embedding <c>[vocab, emb]</c>, or null for one-hot input.</summary>
    public WeightTensor? Embedding { get; }

    /// <summary>The output projection <c>[hidden, vocab]</c>.</summary>
    public WeightTensor SoftmaxWeights { get; }

    /// <summary>The output bias <c>[vocab]</c>.</summary>
    public WeightTensor SoftmaxBias { get; }

    /// <summary>The character map.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The tensors the model was built from.</summary>
    public WeightSet Weights { get; }

    /// <summary>
    /// Loads a model from a .wts file (V1 or V2) or a TensorFlow checkpoint prefix. Only the tensors inference needs
    /// are read; optimizer slots and scalars are skipped without being loaded.
    /// </summary>
    /// <exception cref="WeightFormatException">The file is malformed.</exception>
    /// <exception cref="ModelFormatException">Tensors are missing or their shapes disagree.</exception>
    /// <exception cref="VocabularyException">The vocabulary is unreadable or does not match the model.</exception>
    public static CharRnnModel Load(string path, ModelLoadOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        options ??= new ModelLoadOptions();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CharRnnModel>();
        var weights = WeightLoader.Load(path, new WeightLoadOptions
        {
            Include = TfVariableNames.IsInferenceTensor,
            NonFiniteWeights = options.NonFiniteWeights,
        }, logger);
        Log.WeightsLoaded(logger, weights.Count, weights.SkippedRecords.Count, path, weights.Format);
        return FromWeights(weights, options, loggerFactory);
    }

    /// <summary>
    /// Builds a model from loaded tensors (extra tensors are ignored). Tensors read from a <c>.wts</c> V1 file, which
    /// stores no shapes, get the shapes their value counts determine.
    /// </summary>
    public static CharRnnModel FromWeights(WeightSet weights, ModelLoadOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        options ??= new ModelLoadOptions();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CharRnnModel>();
        string source = weights.Source ?? "the weight set";

        IReadOnlyList<(WeightTensor Kernel, WeightTensor Bias)> layerTensors = FindLayers(weights, source);
        var softmaxW = Require(weights, TfVariableNames.SoftmaxWeights, source);
        var softmaxB = Require(weights, TfVariableNames.SoftmaxBias, source);
        weights.TryGet(TfVariableNames.Embedding, out var embedding);
        if (weights.Format == WeightFileFormat.WtsV1)
        {
            // V1 records carry counts, not shapes: the counts determine them.
            (layerTensors, softmaxW, softmaxB, embedding) = WtsV1ShapeInference.Infer(layerTensors, softmaxW, softmaxB, embedding, source);
        }

        RequireRank(softmaxW, 2);
        RequireRank(softmaxB, 1);
        int hidden = softmaxW.Shape[0];
        int vocab = softmaxW.Shape[1];
        if (hidden <= 0 || vocab <= 0)
        {
            throw new ModelFormatException($"Tensor '{softmaxW.Name}' has an empty shape {softmaxW.ShapeText}.");
        }
        if (softmaxB.Shape[0] != vocab)
        {
            throw Mismatch(softmaxB, softmaxW, $"the bias length must equal the vocabulary size {vocab}");
        }

        int inputSize = vocab;
        if (embedding is not null)
        {
            RequireRank(embedding, 2);
            if (embedding.Shape[0] != vocab)
            {
                throw Mismatch(embedding, softmaxW, $"the embedding must have one row per character ({vocab})");
            }
            inputSize = embedding.Shape[1];
        }

        var layers = new List<LstmLayerWeights>(layerTensors.Count);
        for (int k = 0; k < layerTensors.Count; k++)
        {
            var (kernel, bias) = layerTensors[k];
            RequireRank(kernel, 2);
            RequireRank(bias, 1);
            int layerInput = k == 0 ? inputSize : hidden;
            if (kernel.Shape[1] != 4 * hidden)
            {
                throw Mismatch(kernel, softmaxW, $"the kernel must have 4 x hidden = {4 * hidden} columns (hidden {hidden} from the softmax)");
            }
            if (kernel.Shape[0] != layerInput + hidden)
            {
                var other = k == 0 ? (embedding ?? softmaxW) : layerTensors[k - 1].Kernel;
                throw Mismatch(kernel, other, $"layer {k}'s kernel must have input + hidden = {layerInput} + {hidden} = {layerInput + hidden} rows");
            }
            if (bias.Shape[0] != 4 * hidden)
            {
                throw Mismatch(bias, kernel, $"the bias must have 4 x hidden = {4 * hidden} elements");
            }
            layers.Add(new LstmLayerWeights(kernel, bias, layerInput, hidden));
        }

        var dims = new ModelDimensions(layers.Count, hidden, inputSize, vocab, embedding is not null);
        var vocabulary = options.Vocabulary ?? ResolveVocabulary(options, vocab, logger);
        if (vocabulary.Count != vocab)
        {
            throw new VocabularyException(
                $"The vocabulary has {vocabulary.Count} characters but the model has {vocab} classes ('{softmaxW.Name}' {softmaxW.ShapeText}). Pass the vocab.json the model was trained with.");
        }
        Log.ModelBuilt(logger, dims.ToString());
        return new CharRnnModel(dims, layers, embedding, softmaxW, softmaxB, vocabulary, weights);
    }

    private static Vocabulary ResolveVocabulary(ModelLoadOptions options, int vocab, ILogger logger)
    {
        if (options.VocabularyPath is not null)
        {
            return Vocabulary.FromJsonFile(options.VocabularyPath);
        }
        if (vocab == Vocabulary.SampleCharRnn.Count)
        {
            Log.UsingSampleVocabulary(logger, vocab);
            return Vocabulary.SampleCharRnn;
        }
        throw new VocabularyException(
            $"The model has {vocab} classes and no vocabulary was given; the built-in sampleCharRNN map has {Vocabulary.SampleCharRnn.Count}. Pass the model's vocab.json (--vocab).");
    }

    private static List<(WeightTensor Kernel, WeightTensor Bias)> FindLayers(WeightSet weights, string source)
    {
        var kernels = new SortedDictionary<int, WeightTensor>();
        var biases = new SortedDictionary<int, WeightTensor>();
        foreach (var t in weights)
        {
            var m = TfVariableNames.LstmVariable().Match(t.Name);
            if (!m.Success)
            {
                continue;
            }
            int layer = m.Groups["layer"].Success ? ParseLayer(m.Groups["layer"].Value, t.Name, source) : 0;
            bool isKernel = m.Groups["kind"].Value is "kernel" or "weights";
            var target = isKernel ? kernels : biases;
            if (!target.TryAdd(layer, t))
            {
                throw new ModelFormatException(
                    $"Two tensors claim layer {layer}'s {(isKernel ? "kernel" : "bias")}: '{MessageText.Printable(target[layer].Name)}' and '{MessageText.Printable(t.Name)}' in {source}.");
            }
        }
        if (kernels.Count == 0)
        {
            throw new ModelFormatException(
                $"No LSTM layers in {source}: expected tensors named like 'rnn_multi_rnn_cell_cell_0_basic_lstm_cell_kernel'. Found: {string.Join(", ", weights.Select(w => MessageText.Printable(w.Name)))}.");
        }
        // The layer count is bounded by the records present, never taken from an index in a name alone: a name claiming
        // layer 2147483646 must not size the list of missing layers. An index below the number of LSTM tensors leaves a
        // gap that is listed; one at or above it is named.
        int records = kernels.Count + biases.Count;
        int last = Math.Max(kernels.Keys.Max(), biases.Count == 0 ? 0 : biases.Keys.Max());
        if (last >= records)
        {
            var tensor = kernels.TryGetValue(last, out var k) ? k : biases[last];
            throw new ModelFormatException(
                $"Tensor '{MessageText.Printable(tensor.Name)}' in {source} is for LSTM layer {last}, but there are only {records} LSTM tensors (a kernel and a bias per layer, layers numbered from 0). Rename it to its layer's number.");
        }
        int count = last + 1;
        var missing = new List<string>();
        for (int k = 0; k < count; k++)
        {
            if (!kernels.ContainsKey(k)) missing.Add($"layer {k} kernel");
            if (!biases.ContainsKey(k)) missing.Add($"layer {k} bias");
        }
        if (missing.Count > 0)
        {
            throw new ModelFormatException($"Required LSTM tensors are missing from {source}: {string.Join(", ", missing)}.");
        }
        return [.. Enumerable.Range(0, count).Select(k => (kernels[k], biases[k]))];
    }

    // A layer index as a name spells it; one too large for an int is named instead of overflowing.
    private static int ParseLayer(string digits, string name, string source) =>
        int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int layer)
            ? layer
            : throw new ModelFormatException(
                $"Tensor '{MessageText.Printable(name)}' in {source} is for LSTM layer {digits}, which is not a layer number (at most {int.MaxValue}). Layers are numbered from 0.");

    private static WeightTensor Require(WeightSet weights, string name, string source) =>
        weights.TryGet(name, out var t) ? t : throw new ModelFormatException($"Required tensor '{name}' is missing from {source}.");

    private static void RequireRank(WeightTensor t, int rank)
    {
        if (t.Shape.Count != rank)
        {
            throw new ModelFormatException($"Tensor '{MessageText.Printable(t.Name)}' has shape {t.ShapeText}; expected {rank} dimension(s).");
        }
    }

    private static ModelFormatException Mismatch(WeightTensor a, WeightTensor b, string rule) =>
        new($"Inconsistent shapes: '{MessageText.Printable(a.Name)}' {a.ShapeText} and '{MessageText.Printable(b.Name)}' {b.ShapeText}: {rule}.");
}
