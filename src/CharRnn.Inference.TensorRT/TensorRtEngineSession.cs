using CharRnn.Bindings.TensorRT;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.TensorRT.Conversion;
using CharRnn.Inference.TensorRT.Cuda;

namespace CharRnn.Inference.TensorRT;

/// <summary>
/// State of TensorRT streams in device memory: two copies of h and c per layer (read one, write the other, swap),
/// the last logits and the last argmax. Not thread-safe; may move between threads (the context is made current on
/// every call).
/// </summary>
internal sealed class TensorRtEngineSession : EngineSession
{
    // Steps whose tokens (and, when asked, logits) are staged on the device at once.
    private const int ChunkSteps = 256;

    private readonly CudaDevice _device;
    private readonly TensorRtExecutionContext _context;
    private readonly CudaStream _stream;
    private readonly DeviceMemory<float>[][] _h;
    private readonly DeviceMemory<float>[][] _c;
    private readonly DeviceMemory<float> _logits;
    private readonly DeviceMemory<int> _tokens;
    private readonly DeviceMemory<int> _nextToken;
    private readonly int[] _hostTokens;
    private readonly float[] _hostLogits;
    private readonly float[] _scratch;
    private readonly int _layers;
    private readonly string[][] _stateNames;
    private readonly int _perStep;
    private DeviceMemory<float>? _logitsChunk;
    private int _current;

    public TensorRtEngineSession(TensorRtInferenceEngine owner, TensorRtEngine engine, int streams) : base(owner.Dimensions, streams)
    {
        // The session retains the primary context itself, so its memory stays valid if the engine is disposed first.
        _device = new CudaDevice(owner.Device.Ordinal);
        _layers = Dimensions.LayerCount;
        // Encoded once: the per-step address swaps must not allocate.
        _stateNames = [.. Enumerable.Range(0, _layers).Select(k => new[] { TrtTensorNames.HiddenIn(k), TrtTensorNames.CellIn(k), TrtTensorNames.HiddenOut(k), TrtTensorNames.CellOut(k) })];
        _perStep = streams * Dimensions.VocabularySize;
        long state = (long)streams * Dimensions.HiddenSize;
        _hostTokens = new int[ChunkSteps * streams];
        _hostLogits = new float[_perStep];
        _scratch = new float[2 * Dimensions.VocabularySize];
        _h = [new DeviceMemory<float>[_layers], new DeviceMemory<float>[_layers]];
        _c = [new DeviceMemory<float>[_layers], new DeviceMemory<float>[_layers]];
        try
        {
            for (int copy = 0; copy < 2; copy++)
            {
                for (int k = 0; k < _layers; k++)
                {
                    _h[copy][k] = new DeviceMemory<float>(state);
                    _c[copy][k] = new DeviceMemory<float>(state);
                }
            }
            _logits = new DeviceMemory<float>(_perStep);
            _tokens = new DeviceMemory<int>((ChunkSteps + 1L) * streams);
            _nextToken = new DeviceMemory<int>(streams);
            _stream = new CudaStream();
            _context = engine.CreateExecutionContext();
            ResetCore();
        }
        catch (TensorRtException e)
        {
            Release();
            throw new TensorRtBackendException($"Could not create a TensorRT execution context: {e.Message}", e);
        }
        catch (CharRnnException)
        {
            Release();
            throw;
        }
    }

    protected override void ResetCore()
    {
        _device.MakeCurrent();
        foreach (var buffer in _h.SelectMany(b => b).Concat(_c.SelectMany(b => b)))
        {
            buffer.Clear(_stream.Handle);
        }
        _logits.Clear(_stream.Handle);
        _nextToken.Clear(_stream.Handle);
        _stream.Synchronize();
    }

    protected override void FeedCore(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep)
    {
        _device.MakeCurrent();
        bool keepAll = !logitsPerStep.IsEmpty;
        if (keepAll)
        {
            _logitsChunk ??= new DeviceMemory<float>((long)ChunkSteps * _perStep);
        }
        for (int done = 0; done < steps; done += ChunkSteps)
        {
            int n = Math.Min(ChunkSteps, steps - done);
            _tokens.CopyFromHost(tokens.Slice(done * Streams, n * Streams), 0, _stream.Handle);
            for (int t = 0; t < n; t++)
            {
                nint logits = keepAll ? _logitsChunk!.At((long)t * _perStep) : _logits.At(0);
                Step(_tokens.At((long)t * Streams), logits, _nextToken.At(0));
            }
            if (keepAll)
            {
                _logitsChunk!.CopyToHost(logitsPerStep.Slice(done * _perStep, n * _perStep), 0, _stream.Handle);
                _logits.CopyFromDevice(_logitsChunk.At((long)(n - 1) * _perStep), 0, _perStep, _stream.Handle);
            }
            // The host token span may be reused by the caller once this returns.
            _stream.Synchronize();
        }
    }

    protected override void GenerateCore(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output)
    {
        _device.MakeCurrent();
        if (sampling.IsGreedy)
        {
            GenerateGreedy(steps, output);
            return;
        }
        // Temperature / top-k / top-p: one logits copy and one token upload per character (the stated limitation).
        var step = _hostTokens.AsSpan(0, Streams);
        for (int t = 0; t < steps; t++)
        {
            _logits.CopyToHost(_hostLogits, 0, _stream.Handle);
            _stream.Synchronize();
            for (int s = 0; s < Streams; s++)
            {
                float u = CounterRng.Uniform(seed, s, counter + t);
                step[s] = TokenSampler.Sample(_hostLogits.AsSpan(s * Dimensions.VocabularySize, Dimensions.VocabularySize), sampling, u, _scratch);
            }
            step.CopyTo(output.Slice(t * Streams, Streams));
            _tokens.CopyFromHost(step, 0, _stream.Handle);
            Step(_tokens.At(0), _logits.At(0), _nextToken.At(0));
        }
        _stream.Synchronize();
    }

    // Argmax on the device, fed straight back: slot t of the token buffer is both step t's output and step t + 1's
    // input, so nothing crosses to the host until a chunk is done.
    private void GenerateGreedy(int steps, Span<int> output)
    {
        for (int done = 0; done < steps; done += ChunkSteps)
        {
            int n = Math.Min(ChunkSteps, steps - done);
            _tokens.CopyFromDevice(_nextToken.At(0), 0, Streams, _stream.Handle);
            for (int t = 0; t < n; t++)
            {
                Step(_tokens.At((long)t * Streams), _logits.At(0), _tokens.At((long)(t + 1) * Streams));
            }
            _nextToken.CopyFromDevice(_tokens.At((long)n * Streams), 0, Streams, _stream.Handle);
            _tokens.CopyToHost(_hostTokens.AsSpan(0, n * Streams), 0, _stream.Handle);
            _stream.Synchronize();
            _hostTokens.AsSpan(0, n * Streams).CopyTo(output.Slice(done * Streams, n * Streams));
        }
    }

    protected override void ReadLogitsCore(Span<float> destination)
    {
        _device.MakeCurrent();
        _logits.CopyToHost(destination, 0, _stream.Handle);
        _stream.Synchronize();
    }

    protected override void SaveStateCore(Span<float> destination)
    {
        _device.MakeCurrent();
        int n = Streams * Dimensions.HiddenSize, offset = 0;
        for (int k = 0; k < _layers; k++)
        {
            _h[_current][k].CopyToHost(destination.Slice(offset, n), 0, _stream.Handle);
            _c[_current][k].CopyToHost(destination.Slice(offset + n, n), 0, _stream.Handle);
            offset += 2 * n;
        }
        _logits.CopyToHost(destination[offset..], 0, _stream.Handle);
        _stream.Synchronize();
    }

    protected override void RestoreStateCore(ReadOnlySpan<float> source)
    {
        _device.MakeCurrent();
        int n = Streams * Dimensions.HiddenSize, offset = 0;
        for (int k = 0; k < _layers; k++)
        {
            _h[_current][k].CopyFromHost(source.Slice(offset, n), 0, _stream.Handle);
            _c[_current][k].CopyFromHost(source.Slice(offset + n, n), 0, _stream.Handle);
            offset += 2 * n;
        }
        var logits = source[offset..];
        _logits.CopyFromHost(logits, 0, _stream.Handle);
        // The device argmax belongs to the restored logits, not to whatever ran last.
        var next = _hostTokens.AsSpan(0, Streams);
        for (int s = 0; s < Streams; s++)
        {
            next[s] = TokenSampler.Sample(logits.Slice(s * Dimensions.VocabularySize, Dimensions.VocabularySize), SamplingOptions.Greedy, 0f, _scratch);
        }
        _nextToken.CopyFromHost(next, 0, _stream.Handle);
        _stream.Synchronize();
    }

    // One enqueue: state is read from the current copy and written to the other, then the copies swap.
    private void Step(nint tokens, nint logits, nint nextToken)
    {
        try
        {
            _context.SetTensorAddress(TrtTensorNames.Tokens, tokens);
            _context.SetTensorAddress(TrtTensorNames.Logits, logits);
            _context.SetTensorAddress(TrtTensorNames.NextToken, nextToken);
            int next = 1 - _current;
            for (int k = 0; k < _layers; k++)
            {
                var names = _stateNames[k];
                _context.SetTensorAddress(names[0], _h[_current][k].At(0));
                _context.SetTensorAddress(names[1], _c[_current][k].At(0));
                _context.SetTensorAddress(names[2], _h[next][k].At(0));
                _context.SetTensorAddress(names[3], _c[next][k].At(0));
            }
            _context.EnqueueV3(_stream.Handle);
            _current = next;
        }
        catch (TensorRtException e)
        {
            throw new TensorRtBackendException($"A TensorRT step failed: {e.Message}", e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Release();
        }
    }

    // Frees whatever exists (also from a failed constructor); never throws.
    private void Release()
    {
        _ = CudaDriverMethods.cuCtxSetCurrent(_device.Context);
        if (_stream is not null)
        {
            _ = CudaDriverMethods.cuStreamSynchronize(_stream.Handle);
        }
        _context?.Dispose();
        _stream?.Dispose();
        foreach (var buffer in _h.SelectMany(b => b).Concat(_c.SelectMany(b => b)))
        {
            buffer?.Dispose();
        }
        _logits?.Dispose();
        _logitsChunk?.Dispose();
        _tokens?.Dispose();
        _nextToken?.Dispose();
        _device.Dispose();
    }
}
