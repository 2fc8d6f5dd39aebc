using CharRnn.Inference.Conversion;
using Microsoft.ML.OnnxRuntime;

namespace CharRnn.Benchmarks.Onnx;

/// <summary>
/// ONNX Runtime running <see cref="LstmStepGraph"/> on the CPU execution provider, one step per call, for a fixed
/// batch. Two sets of input/output tensors alternate (step t reads set A and writes set B, step t + 1 the reverse) through
/// two prebuilt IOBindings over pinned managed arrays, so a step allocates nothing and copies nothing beyond what the
/// graph does itself; the ArgMax output is the next step's token input. Not thread-safe.
/// </summary>
internal sealed class OnnxRuntimeStepper : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly OrtIoBinding[] _bindings = new OrtIoBinding[2];
    private readonly List<OrtValue> _values = [];
    private readonly long[][] _tokens = new long[2][];
    private readonly float[] _logits;
    private int _next;

    public OnnxRuntimeStepper(NetworkWeights network, int batch, int threads)
    {
        var dims = network.Dimensions;
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(LstmStepGraph.Build(network), options);
        Batch = batch;
        _logits = new float[batch * dims.VocabularySize];
        var logits = Value(_logits, [batch, dims.VocabularySize]);
        var h = new OrtValue[2, dims.LayerCount];
        var c = new OrtValue[2, dims.LayerCount];
        var tokens = new OrtValue[2];
        for (int set = 0; set < 2; set++)
        {
            _tokens[set] = new long[batch];
            tokens[set] = Value(_tokens[set], [batch]);
            for (int k = 0; k < dims.LayerCount; k++)
            {
                h[set, k] = Value(new float[batch * dims.HiddenSize], [batch, dims.HiddenSize]);
                c[set, k] = Value(new float[batch * dims.HiddenSize], [batch, dims.HiddenSize]);
            }
        }
        for (int set = 0; set < 2; set++)
        {
            int other = 1 - set;
            var binding = _session.CreateIoBinding();
            binding.BindInput("tokens", tokens[set]);
            binding.BindOutput("next", tokens[other]);
            binding.BindOutput("logits", logits);
            for (int k = 0; k < dims.LayerCount; k++)
            {
                binding.BindInput($"h{k}", h[set, k]);
                binding.BindInput($"c{k}", c[set, k]);
                binding.BindOutput($"h{k}_out", h[other, k]);
                binding.BindOutput($"c{k}_out", c[other, k]);
            }
            _bindings[set] = binding;
        }
    }

    /// <summary>ONNX Runtime's version string.</summary>
    public static string Version => OrtEnv.Instance().GetVersionString();

    public int Batch { get; }

    /// <summary>The last step's logits, [batch][vocab].</summary>
    public ReadOnlySpan<float> Logits => _logits;

    /// <summary>Sets the tokens the next step feeds (otherwise it feeds the previous step's argmax).</summary>
    public void SetTokens(ReadOnlySpan<int> tokens)
    {
        for (int s = 0; s < Batch; s++)
        {
            _tokens[_next][s] = tokens[s];
        }
    }

    /// <summary>One greedy step of every stream.</summary>
    public void Step()
    {
        _session.RunWithBinding(_run, _bindings[_next]);
        _next = 1 - _next;
    }

    private OrtValue Value<T>(T[] data, long[] shape) where T : unmanaged
    {
        var value = OrtValue.CreateTensorValueFromMemory(data, shape);
        _values.Add(value);
        return value;
    }

    public void Dispose()
    {
        foreach (var binding in _bindings) binding?.Dispose();
        foreach (var value in _values) value.Dispose();
        _run.Dispose();
        _session.Dispose();
    }
}
