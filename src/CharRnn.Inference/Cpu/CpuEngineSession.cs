using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Cpu;

/// <summary>State of CPU streams: h, c and logits in managed arrays. Not thread-safe.</summary>
internal sealed class CpuEngineSession : EngineSession, IPhasedWork
{
    // Below this many multiply-adds per step the threads cost more than they save.
    private const long ParallelThreshold = 1L << 18;

    private readonly PackedNetwork _packed;
    private readonly PhaseRunner _runner;
    private readonly int _hidden;
    private readonly int _padded;
    private readonly int _vocab;
    // Per layer, [stream][PaddedHidden]: h and c as of the last step, and the new h while a step runs (layer k + 1
    // and the other panels of layer k still read the old one).
    private readonly float[][] _h;
    private readonly float[][] _hNext;
    private readonly float[][] _c;
    // One layer's gate pre-activations, [stream][4][PaddedHidden], and the output layer's results, [stream][PaddedVocabulary].
    private readonly float[] _gates;
    private readonly float[] _fcOut;
    private readonly float[] _logits;
    private readonly float[] _scratch;
    private readonly int[] _stepTokens;
    private readonly KernelJob[] _jobs;
    // Panels per chunk of each phase for the current step.
    private readonly int[] _chunkPanels;
    // Streams computed by the current step: all of them for Feed and Generate, the active prefix for Step.
    private int _active;
    // Characters fed since creation or the last reset: the step numbers of Feed's logits.
    private long _fed;

    public CpuEngineSession(CpuInferenceEngine engine, int streams) : base(engine.Dimensions, streams)
    {
        _packed = engine.Packed;
        _hidden = Dimensions.HiddenSize;
        _padded = _packed.PaddedHidden;
        _vocab = Dimensions.VocabularySize;
        int layers = Dimensions.LayerCount;
        _h = [.. Enumerable.Range(0, layers).Select(_ => new float[streams * _padded])];
        _hNext = [.. Enumerable.Range(0, layers).Select(_ => new float[streams * _padded])];
        _c = [.. Enumerable.Range(0, layers).Select(_ => new float[streams * _padded])];
        _gates = new float[streams * 4 * _padded];
        _fcOut = new float[streams * _packed.PaddedVocabulary];
        _logits = new float[streams * _vocab];
        _scratch = new float[2 * _vocab];
        _stepTokens = new int[streams];
        _runner = new PhaseRunner(Math.Min(Environment.ProcessorCount, 64) - 1, layers + 1);
        _jobs = new KernelJob[layers + 1];
        _chunkPanels = new int[layers + 1];
        for (int k = 0; k < layers; k++)
        {
            _jobs[k] = new KernelJob
            {
                Weights = _packed.Layers[k],
                XA = k == 0 ? _h[0] : _hNext[k - 1],
                DepthA = k == 0 ? _hidden : _packed.Layers[k].Depth - _hidden,
                XB = k == 0 ? null : _h[k],
                XStride = _padded,
                Init = k == 0 ? _packed.Table : _packed.Bias[k],
                InitRows = k == 0 ? _stepTokens : null,
                InitRowStride = 4 * _padded,
                Out = _gates,
                OutStride = 4 * _padded,
                GroupStride = _padded,
                PanelStride = _packed.Lanes,
            };
        }
        _jobs[layers] = new KernelJob
        {
            Weights = _packed.Fc,
            XA = _hNext[layers - 1],
            DepthA = _hidden,
            XStride = _padded,
            Init = _packed.FcBias,
            Out = _fcOut,
            OutStride = _packed.PaddedVocabulary,
            GroupStride = _packed.Lanes,
            PanelStride = 4 * _packed.Lanes,
        };
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
            _h[k].AsSpan(stream * _padded, hidden).CopyTo(destination.Slice(2 * k * hidden, hidden));
            _c[k].AsSpan(stream * _padded, hidden).CopyTo(destination.Slice((2 * k + 1) * hidden, hidden));
        }
        _logits.AsSpan(stream * _vocab, _vocab).CopyTo(destination[(2 * _h.Length * hidden)..]);
    }

    protected override void RestoreStreamCore(int stream, ReadOnlySpan<float> source)
    {
        int hidden = _hidden;
        for (int k = 0; k < _h.Length; k++)
        {
            source.Slice(2 * k * hidden, hidden).CopyTo(_h[k].AsSpan(stream * _padded, hidden));
            source.Slice((2 * k + 1) * hidden, hidden).CopyTo(_c[k].AsSpan(stream * _padded, hidden));
        }
        source[(2 * _h.Length * hidden)..].CopyTo(_logits.AsSpan(stream * _vocab, _vocab));
    }

    protected override void CopyStreamCore(int from, int to)
    {
        for (int k = 0; k < _h.Length; k++)
        {
            _h[k].AsSpan(from * _padded, _padded).CopyTo(_h[k].AsSpan(to * _padded, _padded));
            _c[k].AsSpan(from * _padded, _padded).CopyTo(_c[k].AsSpan(to * _padded, _padded));
        }
        _logits.AsSpan(from * _vocab, _vocab).CopyTo(_logits.AsSpan(to * _vocab, _vocab));
    }

    protected override void SaveStateCore(Span<float> destination)
    {
        int hidden = _hidden, n = Streams * hidden, offset = 0;
        for (int k = 0; k < _h.Length; k++)
        {
            for (int s = 0; s < Streams; s++)
            {
                _h[k].AsSpan(s * _padded, hidden).CopyTo(destination.Slice(offset + s * hidden, hidden));
                _c[k].AsSpan(s * _padded, hidden).CopyTo(destination.Slice(offset + n + s * hidden, hidden));
            }
            offset += 2 * n;
        }
        _logits.CopyTo(destination[offset..]);
    }

    protected override void RestoreStateCore(ReadOnlySpan<float> source)
    {
        int hidden = _hidden, n = Streams * hidden, offset = 0;
        for (int k = 0; k < _h.Length; k++)
        {
            for (int s = 0; s < Streams; s++)
            {
                source.Slice(offset + s * hidden, hidden).CopyTo(_h[k].AsSpan(s * _padded, hidden));
                source.Slice(offset + n + s * hidden, hidden).CopyTo(_c[k].AsSpan(s * _padded, hidden));
            }
            offset += 2 * n;
        }
        source[offset..].CopyTo(_logits);
    }

    // One character for each of the first tokens.Length streams through every layer and the output layer; the other
    // streams are not touched. GateKernel computes every (stream, row) the same way whatever the number of streams, so a
    // stream's numbers do not depend on its slot or its neighbours.
    private void StepStreams(ReadOnlySpan<int> tokens)
    {
        _active = tokens.Length;
        if (!Unsafe.AreSame(ref MemoryMarshal.GetReference(tokens), ref _stepTokens[0]))
        {
            tokens.CopyTo(_stepTokens);
        }
        for (int p = 0; p < _jobs.Length; p++)
        {
            _chunkPanels[p] = ChunkPanels(_jobs[p].Weights.Panels, p == _jobs.Length - 1);
        }
        _runner.Run(this, _active * _packed.MultiplyAddsPerStream >= ParallelThreshold);
        int n = _active * _padded;
        for (int k = 0; k < _h.Length; k++)
        {
            _hNext[k].AsSpan(0, n).CopyTo(_h[k]);
        }
        int padded = _packed.PaddedVocabulary;
        for (int s = 0; s < _active; s++)
        {
            _fcOut.AsSpan(s * padded, _vocab).CopyTo(_logits.AsSpan(s * _vocab, _vocab));
        }
    }

    // About four chunks per thread and phase for one or two streams, in whole three-panel groups (the one-stream kernel's
    // block); eight per thread for more streams, whose chunks are longer and whose threads finish unevenly on a busy
    // machine. The output layer is small: one panel per chunk, so that both threads share it.
    private int ChunkPanels(int panels, bool output)
    {
        if (output)
        {
            return 1;
        }
        if (_active < 3)
        {
            int target = 4 * _runner.Threads;
            return Math.Max(3, ((panels + target - 1) / target + 2) / 3 * 3);
        }
        int chunks = 8 * _runner.Threads;
        return Math.Max(1, (panels + chunks - 1) / chunks);
    }

    int IPhasedWork.PhaseCount => _jobs.Length;

    int IPhasedWork.ChunkCount(int phase) => (_jobs[phase].Weights.Panels + _chunkPanels[phase] - 1) / _chunkPanels[phase];

    void IPhasedWork.RunChunk(int phase, int chunk)
    {
        ref readonly var job = ref _jobs[phase];
        int from = chunk * _chunkPanels[phase], to = Math.Min(job.Weights.Panels, from + _chunkPanels[phase]);
        if (phase < _h.Length)
        {
            var cell = new CellEpilogue(_gates, _c[phase], _hNext[phase], _padded);
            GateKernel.Run(in job, from, to, _active, ref cell);
        }
        else
        {
            var none = default(NoEpilogue);
            GateKernel.Run(in job, from, to, _active, ref none);
        }
    }

    private readonly struct NoEpilogue : IPanelEpilogue
    {
        public void Finish(int panel, int stream)
        {
        }
    }
}
