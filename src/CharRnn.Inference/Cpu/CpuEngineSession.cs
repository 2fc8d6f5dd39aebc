using System.Numerics.Tensors;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Cpu;

/// <summary>State of CPU streams: h, c and logits in managed arrays. Not thread-safe.</summary>
internal sealed class CpuEngineSession : EngineSession
{
    // Below this many multiply-adds per step the threads cost more than they save.
    private const long ParallelThreshold = 1L << 18;

    private readonly CpuInferenceEngine _engine;
    private readonly NetworkWeights _network;
    private readonly int _hidden;
    private readonly int _vocab;
    private readonly float[][] _h;
    private readonly float[][] _c;
    private readonly float[] _gates;
    private readonly float[] _logits;
    private readonly float[] _scratch;
    private readonly int[] _stepTokens;
    private readonly Action<int, int> _gateRows;
    private readonly Action<int, int> _logitRows;
    private readonly Action<int> _parallelWorker;
    private MatVecJob _job;
    private Action<int, int>? _parallelBody;
    private int _parallelRows;
    // Streams computed by the current step: all of them for Feed and Generate, the active prefix for Step.
    private int _active;
    // Characters fed since creation or the last reset: the step numbers of Feed's logits.
    private long _fed;

    public CpuEngineSession(CpuInferenceEngine engine, int streams) : base(engine.Dimensions, streams)
    {
        _engine = engine;
        _network = engine.Network;
        _hidden = Dimensions.HiddenSize;
        _vocab = Dimensions.VocabularySize;
        _h = [.. Enumerable.Range(0, Dimensions.LayerCount).Select(_ => new float[streams * _hidden])];
        _c = [.. Enumerable.Range(0, Dimensions.LayerCount).Select(_ => new float[streams * _hidden])];
        _gates = new float[streams * 4 * _hidden];
        _logits = new float[streams * _vocab];
        _scratch = new float[2 * _vocab];
        _stepTokens = new int[streams];
        _gateRows = GateRows;
        _logitRows = LogitRows;
        _parallelWorker = ParallelWorker;
    }

    protected override void ResetCore()
    {
        foreach (var h in _h) Array.Clear(h);
        foreach (var c in _c) Array.Clear(c);
        Array.Clear(_logits);
        _fed = 0;
    }

    protected override void FeedCore(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep)
    {
        int perStep = Streams * _vocab;
        for (int t = 0; t < steps; t++)
        {
            StepStreams(tokens.Slice(t * Streams, Streams));
            if (!logitsPerStep.IsEmpty)
            {
                // Logits handed out (scoring) are checked here, where the step is known: NaN or infinite logits have
                // no distribution, and a NaN perplexity would look like a result.
                for (int s = 0; s < Streams; s++)
                {
                    if (!float.IsFinite(TensorPrimitives.Max(_logits.AsSpan(s * _vocab, _vocab))))
                    {
                        throw new NonFiniteLogitsException(_fed + t, Streams == 1 ? null : s);
                    }
                }
                _logits.CopyTo(logitsPerStep.Slice(t * perStep, perStep));
            }
        }
        _fed += steps;
    }

    protected override void GenerateCore(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output)
    {
        for (int t = 0; t < steps; t++)
        {
            for (int s = 0; s < Streams; s++)
            {
                float u = sampling.IsGreedy ? 0f : CounterRng.Uniform(seed, s, counter + t);
                try
                {
                    _stepTokens[s] = TokenSampler.Sample(_logits.AsSpan(s * _vocab, _vocab), sampling, u, _scratch);
                }
                catch (NonFiniteLogitsException e) when (e.Step is null)
                {
                    // The sampler cannot know the step: the position of the character it was drawing is it.
                    throw new NonFiniteLogitsException(counter + t, Streams == 1 ? null : s);
                }
            }
            _stepTokens.CopyTo(output.Slice(t * Streams, Streams));
            StepStreams(_stepTokens);
        }
    }

    protected override void StepCore(ReadOnlySpan<int> tokens) => StepStreams(tokens);

    protected override void ReadLogitsCore(Span<float> destination) => _logits.CopyTo(destination);

    protected override void ReadLogitsCore(Span<float> destination, int streams) =>
        _logits.AsSpan(0, streams * _vocab).CopyTo(destination);

    protected override void SaveStreamCore(int stream, Span<float> destination)
    {
        int hidden = _hidden;
        for (int k = 0; k < _h.Length; k++)
        {
            _h[k].AsSpan(stream * hidden, hidden).CopyTo(destination.Slice(2 * k * hidden, hidden));
            _c[k].AsSpan(stream * hidden, hidden).CopyTo(destination.Slice((2 * k + 1) * hidden, hidden));
        }
        _logits.AsSpan(stream * _vocab, _vocab).CopyTo(destination[(2 * _h.Length * hidden)..]);
    }

    protected override void RestoreStreamCore(int stream, ReadOnlySpan<float> source)
    {
        int hidden = _hidden;
        for (int k = 0; k < _h.Length; k++)
        {
            source.Slice(2 * k * hidden, hidden).CopyTo(_h[k].AsSpan(stream * hidden, hidden));
            source.Slice((2 * k + 1) * hidden, hidden).CopyTo(_c[k].AsSpan(stream * hidden, hidden));
        }
        source[(2 * _h.Length * hidden)..].CopyTo(_logits.AsSpan(stream * _vocab, _vocab));
    }

    protected override void CopyStreamCore(int from, int to)
    {
        int hidden = _hidden;
        for (int k = 0; k < _h.Length; k++)
        {
            _h[k].AsSpan(from * hidden, hidden).CopyTo(_h[k].AsSpan(to * hidden, hidden));
            _c[k].AsSpan(from * hidden, hidden).CopyTo(_c[k].AsSpan(to * hidden, hidden));
        }
        _logits.AsSpan(from * _vocab, _vocab).CopyTo(_logits.AsSpan(to * _vocab, _vocab));
    }

    protected override void SaveStateCore(Span<float> destination)
    {
        int n = Streams * _hidden, offset = 0;
        for (int k = 0; k < _h.Length; k++)
        {
            _h[k].CopyTo(destination.Slice(offset, n));
            _c[k].CopyTo(destination.Slice(offset + n, n));
            offset += 2 * n;
        }
        _logits.CopyTo(destination[offset..]);
    }

    protected override void RestoreStateCore(ReadOnlySpan<float> source)
    {
        int n = Streams * _hidden, offset = 0;
        for (int k = 0; k < _h.Length; k++)
        {
            source.Slice(offset, n).CopyTo(_h[k]);
            source.Slice(offset + n, n).CopyTo(_c[k]);
            offset += 2 * n;
        }
        source[offset..].CopyTo(_logits);
    }

    // One character for each of the first tokens.Length streams through every layer and the FC; the other streams are
    // not touched. Every (stream, row) result is computed the same way whatever the number of streams, so a stream's
    // numbers do not depend on its slot or its neighbours.
    private void StepStreams(ReadOnlySpan<int> tokens)
    {
        int rows = 4 * _hidden;
        var table = _engine.InputTable;
        _active = tokens.Length;
        for (int s = 0; s < _active; s++)
        {
            table.AsSpan(tokens[s] * rows, rows).CopyTo(_gates.AsSpan(s * rows, rows));
        }
        for (int k = 0; k < _h.Length; k++)
        {
            var layer = _network.Layers[k];
            if (k > 0)
            {
                // Gates = Wb + Rb + W x, with x the layer below's new h.
                AddMatVec(layer.InputWeightsArray, layer.InputSize, _h[k - 1], initialize: true, layer.InputBiasArray, layer.RecurrentBiasArray);
            }
            AddMatVec(layer.RecurrentWeightsArray, _hidden, _h[k], initialize: false, null, null);
            UpdateCell(_h[k], _c[k]);
        }
        Project();
    }

    // gates[s][r] (+)= dot(m[r], x[s]) (+ b1[r] + b2[r] when initializing), for every stream s and row r of m.
    private void AddMatVec(float[] m, int width, float[] x, bool initialize, float[]? b1, float[]? b2)
    {
        _job = new MatVecJob(m, width, x, initialize, b1, b2);
        ForRows(4 * _hidden, (long)4 * _hidden * width * _active, _gateRows);
    }

    private void GateRows(int from, int to)
    {
        var (m, width, x, initialize, b1, b2) = _job;
        int rows = 4 * _hidden;
        for (int r = from; r < to; r++)
        {
            var store = new GateStore(_gates, rows, r, initialize ? b1![r] + b2![r] : 0f, initialize);
            RowDot.Dots(m.AsSpan(r * width, width), x.AsSpan(0, _active * width), _active, ref store);
        }
    }

    // gates[s][row] = bias + dot when initializing, else += dot.
    private readonly struct GateStore(float[] gates, int rows, int row, float bias, bool initialize) : IDotStore
    {
        public void Store(int stream, float dot)
        {
            ref float g = ref gates[stream * rows + row];
            g = initialize ? bias + dot : g + dot;
        }
    }

    private void UpdateCell(float[] h, float[] c)
    {
        int hidden = _hidden, rows = 4 * hidden;
        for (int s = 0; s < _active; s++)
        {
            var g = _gates.AsSpan(s * rows, rows);
            var i = g[..hidden];
            var j = g.Slice(hidden, hidden);
            var f = g.Slice(2 * hidden, hidden);
            var o = g.Slice(3 * hidden, hidden);
            TensorPrimitives.Sigmoid(i, i);
            TensorPrimitives.Tanh(j, j);
            TensorPrimitives.Sigmoid(f, f);
            TensorPrimitives.Sigmoid(o, o);
            var cs = c.AsSpan(s * hidden, hidden);
            var hs = h.AsSpan(s * hidden, hidden);
            // c' = c * f + i * j;  h' = tanh(c') * o   (FACTS.md section 2; the forget bias is already in f's bias)
            TensorPrimitives.Multiply(cs, f, cs);
            TensorPrimitives.MultiplyAdd(i, j, cs, cs);
            TensorPrimitives.Tanh(cs, hs);
            TensorPrimitives.Multiply(hs, o, hs);
        }
    }

    private void Project() => ForRows(_vocab, (long)_vocab * _hidden * _active, _logitRows);

    private void LogitRows(int from, int to)
    {
        int hidden = _hidden, vocab = _vocab, streams = _active;
        float[] fc = _network.FcWeightsArray, bias = _network.FcBiasArray, h = _h[^1];
        for (int v = from; v < to; v++)
        {
            var store = new LogitStore(_logits, vocab, v, bias[v]);
            RowDot.Dots(fc.AsSpan(v * hidden, hidden), h.AsSpan(0, streams * hidden), streams, ref store);
        }
    }

    private readonly struct LogitStore(float[] logits, int vocab, int v, float bias) : IDotStore
    {
        public void Store(int stream, float dot) => logits[stream * vocab + v] = dot + bias;
    }

    // Splits rows over the cores when the step is big enough; the delegates are cached so a step allocates nothing
    // beyond what Parallel.For itself needs.
    private void ForRows(int rows, long work, Action<int, int> body)
    {
        int workers = Environment.ProcessorCount;
        if (work < ParallelThreshold || workers == 1)
        {
            body(0, rows);
            return;
        }
        _parallelBody = body;
        _parallelRows = rows;
        Parallel.For(0, workers, _parallelWorker);
    }

    private void ParallelWorker(int worker)
    {
        int workers = Environment.ProcessorCount;
        int chunk = (_parallelRows + workers - 1) / workers;
        _parallelBody!(Math.Min(_parallelRows, worker * chunk), Math.Min(_parallelRows, (worker + 1) * chunk));
    }

    private readonly record struct MatVecJob(float[] M, int Width, float[] X, bool Initialize, float[]? B1, float[]? B2);
}
