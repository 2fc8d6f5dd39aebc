using CharRnn.Bindings.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// Streams whose h, c and logits live in device memory. A Feed or Generate call is one kernel launch per chunk of
/// steps (chunks bound the token and logits buffers), one upload of the tokens and one download of the results: no
/// host copy or synchronization per character. Not thread-safe.
/// </summary>
internal sealed class CudaEngineSession : EngineSession
{
    // Bounds of one launch's token buffers ([steps][streams]) and requested logits ([steps][streams][vocab]).
    private const long MaxTokensPerLaunch = 1L << 22;
    private const long MaxLogitsPerLaunch = 1L << 24;

    private readonly CudaInferenceEngine _engine;
    private readonly CudaStream _stream;
    private readonly List<IDisposable> _owned = [];
    private readonly DeviceBuffer<float> _h;
    private readonly DeviceBuffer<float> _c;
    private readonly DeviceBuffer<float> _logits;
    private readonly DeviceBuffer<int> _currentTokens;
    private readonly DeviceBuffer<float> _scratch;
    private readonly DeviceBuffer<uint> _barrier;
    private readonly long _stateFloats;
    private DeviceBuffer<int>? _tokensIn;
    private DeviceBuffer<int>? _tokensOut;
    private DeviceBuffer<float>? _logitsOut;
    private int _parity;

    public CudaEngineSession(CudaInferenceEngine engine, int streams) : base(engine.Dimensions, streams)
    {
        _engine = engine;
        var dims = engine.Dimensions;
        _stateFloats = (long)dims.LayerCount * streams * dims.HiddenSize;
        var context = engine.Context;
        _stream = context.CreateStream();
        try
        {
            _h = Own(context.Allocate<float>(checked(2 * _stateFloats)));
            _c = Own(context.Allocate<float>(_stateFloats));
            _logits = Own(context.Allocate<float>(checked((long)streams * dims.VocabularySize)));
            _currentTokens = Own(context.Allocate<int>(streams));
            _scratch = Own(context.Allocate<float>(engine.ScratchInSharedMemory ? 1 : (long)engine.Grid * CudaInferenceEngine.Warps * 3 * dims.VocabularySize));
            _barrier = Own(context.Allocate<uint>(1));
            ClearState();
        }
        catch
        {
            DisposeOwned();
            _stream.Dispose();
            throw;
        }
    }

    protected override void ResetCore() => ClearState();

    protected override void FeedCore(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep)
    {
        int streams = Streams, vocab = Dimensions.VocabularySize;
        bool wantLogits = !logitsPerStep.IsEmpty;
        int chunk = ChunkSteps(steps, wantLogits);
        lock (_engine.LaunchGate)
        {
            for (int done = 0; done < steps; done += chunk)
            {
                int n = Math.Min(chunk, steps - done);
                _tokensIn = Ensure(_tokensIn, (long)n * streams);
                _tokensIn.CopyFrom(tokens.Slice(done * streams, n * streams), _stream);
                if (wantLogits)
                {
                    _logitsOut = Ensure(_logitsOut, (long)n * streams * vocab);
                }
                var p = Parameters(n, SamplingOptions.Greedy, 0, 0);
                p.TokensIn = _tokensIn.Pointer;
                p.LogitsOut = wantLogits ? _logitsOut!.Pointer : 0;
                Launch(p);
                if (wantLogits)
                {
                    _logitsOut!.CopyTo(logitsPerStep.Slice(done * streams * vocab, n * streams * vocab), _stream);
                }
            }
            _stream.Synchronize();
        }
    }

    protected override void GenerateCore(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output)
    {
        int streams = Streams;
        int chunk = ChunkSteps(steps, logits: false);
        lock (_engine.LaunchGate)
        {
            for (int done = 0; done < steps; done += chunk)
            {
                int n = Math.Min(chunk, steps - done);
                _tokensOut = Ensure(_tokensOut, (long)n * streams);
                var p = Parameters(n, sampling, seed, counter + done);
                p.TokensOut = _tokensOut.Pointer;
                Launch(p);
                _tokensOut.CopyTo(output.Slice(done * streams, n * streams), _stream);
            }
        }
    }

    protected override void ReadLogitsCore(Span<float> destination) => _logits.CopyTo(destination, _stream);

    protected override void SaveStateCore(Span<float> destination)
    {
        int n = checked((int)(_stateFloats / Dimensions.LayerCount));
        int offset = 0;
        for (int k = 0; k < Dimensions.LayerCount; k++)
        {
            _h.CopyTo(destination.Slice(offset, n), _stream, HOffset(k));
            _c.CopyTo(destination.Slice(offset + n, n), _stream, (long)k * n);
            offset += 2 * n;
        }
        _logits.CopyTo(destination[offset..], _stream);
    }

    protected override void RestoreStateCore(ReadOnlySpan<float> source)
    {
        int n = checked((int)(_stateFloats / Dimensions.LayerCount));
        int offset = 0;
        for (int k = 0; k < Dimensions.LayerCount; k++)
        {
            _h.CopyFrom(source.Slice(offset, n), _stream, HOffset(k));
            _c.CopyFrom(source.Slice(offset + n, n), _stream, (long)k * n);
            offset += 2 * n;
        }
        _logits.CopyFrom(source[offset..], _stream);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeOwned();
            _stream.Dispose();
        }
    }

    // h is double-buffered on the device: [parity][layer][stream][hidden].
    private long HOffset(int layer) => ((long)_parity * Dimensions.LayerCount + layer) * Streams * Dimensions.HiddenSize;

    private void ClearState()
    {
        _h.ClearAsync(_stream);
        _c.ClearAsync(_stream);
        _logits.ClearAsync(_stream);
        _stream.Synchronize();
    }

    private int ChunkSteps(int steps, bool logits)
    {
        long chunk = Math.Max(1, MaxTokensPerLaunch / Streams);
        if (logits)
        {
            chunk = Math.Min(chunk, Math.Max(1, MaxLogitsPerLaunch / ((long)Streams * Dimensions.VocabularySize)));
        }
        return (int)Math.Min(chunk, steps);
    }

    private RunParams Parameters(int steps, SamplingOptions sampling, ulong seed, long counter)
    {
        var e = _engine;
        return new RunParams
        {
            Layers = e.LayersPointer,
            Table = e.TablePointer,
            FcWeights = e.FcWeightsPointer,
            FcBias = e.FcBiasPointer,
            H = _h.Pointer,
            C = _c.Pointer,
            Logits = _logits.Pointer,
            CurrentTokens = _currentTokens.Pointer,
            Scratch = _scratch.Pointer,
            Barrier = _barrier.Pointer,
            Seed = seed,
            Counter = counter,
            Temperature = sampling.Temperature,
            TopP = sampling.TopP,
            TopK = sampling.TopK,
            LayerCount = Dimensions.LayerCount,
            Hidden = Dimensions.HiddenSize,
            Vocab = Dimensions.VocabularySize,
            Streams = Streams,
            Steps = steps,
            Parity = _parity,
            UnitsPerBlock = e.UnitsPerBlock,
            VocabPerBlock = e.VocabPerBlock,
            WeightsInSharedMemory = e.WeightsInSharedMemory ? 1 : 0,
            StageStreams = Math.Min(Streams, e.StageStreams),
            MaxWidth = e.MaxWidth,
            RedundantSampling = Streams <= CudaInferenceEngine.RedundantSamplingStreams ? 1 : 0,
            StageFloats = e.StageFloats(Math.Min(Streams, e.StageStreams)),
            ScratchInSharedMemory = e.ScratchInSharedMemory ? 1 : 0,
        };
    }

    // Callers hold the engine's launch gate.
    private void Launch(in RunParams p)
    {
        _engine.ThrowIfDisposed();
        // The grid barrier counts arrivals from zero in every launch.
        _barrier.ClearAsync(_stream);
        _engine.Kernel.LaunchCooperative(_engine.Grid, CudaInferenceEngine.BlockThreads, _engine.SharedBytes(p.StageStreams), _stream, p);
        _parity ^= p.Steps & 1;
    }

    private DeviceBuffer<T> Ensure<T>(DeviceBuffer<T>? buffer, long length) where T : unmanaged
    {
        if (buffer is not null && buffer.Length >= length)
        {
            return buffer;
        }
        if (buffer is not null)
        {
            _owned.Remove(buffer);
            buffer.Dispose();
        }
        return Own(_engine.Context.Allocate<T>(length));
    }

    private T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    private void DisposeOwned()
    {
        foreach (var item in _owned)
        {
            item.Dispose();
        }
        _owned.Clear();
    }
}
