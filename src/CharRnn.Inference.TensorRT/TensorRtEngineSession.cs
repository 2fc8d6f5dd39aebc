using CharRnn.Bindings.Cuda;
using CharRnn.Bindings.TensorRT;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;
using CharRnn.Inference.TensorRT.Conversion;

namespace CharRnn.Inference.TensorRT;

/// <summary>
/// State of TensorRT streams in device memory: two copies of h and c per layer (read one, write the other, swap),
/// the last logits and the last argmax. Tokens are generated on the device (TopK for greedy, <see cref="CudaTokenSampler"/>
/// otherwise) and fed straight back; the host sees them once per chunk. Not thread-safe; may move between threads (the
/// context is made current on every call).
/// </summary>
internal sealed class TensorRtEngineSession : EngineSession
{
    // Steps whose tokens (and, when asked, logits) are staged on the device at once.
    private const int ChunkSteps = 256;

    private readonly TensorRtInferenceEngine _owner;
    private readonly CudaContext _context;
    private readonly TensorRtExecutionContext _execution;
    private readonly CudaStream _stream;
    private readonly DeviceBuffer<float>[][] _h;
    private readonly DeviceBuffer<float>[][] _c;
    private readonly DeviceBuffer<float> _logits;
    private readonly DeviceBuffer<int> _tokens;
    private readonly DeviceBuffer<int> _nextToken;
    private readonly int[] _hostTokens;
    private readonly float[] _hostLogits;
    private readonly int _layers;
    private readonly string[][] _stateNames;
    private readonly int _perStep;
    private DeviceBuffer<float>? _logitsChunk;
    private CudaTokenSampler? _sampler;
    private int _current;

    public TensorRtEngineSession(TensorRtInferenceEngine owner, TensorRtEngine engine, int streams) : base(owner.Dimensions, streams)
    {
        _owner = owner;
        // The session retains the primary context itself, so that it can still make it current (and free its memory)
        // if the engine is disposed first.
        _context = CudaContext.RetainPrimary(owner.Device);
        _layers = Dimensions.LayerCount;
        // Encoded once: the per-step address swaps must not allocate.
        _stateNames = [.. Enumerable.Range(0, _layers).Select(k => new[] { TrtTensorNames.HiddenIn(k), TrtTensorNames.CellIn(k), TrtTensorNames.HiddenOut(k), TrtTensorNames.CellOut(k) })];
        _perStep = streams * Dimensions.VocabularySize;
        long state = (long)streams * Dimensions.HiddenSize;
        _hostTokens = new int[ChunkSteps * streams];
        _hostLogits = new float[streams * Dimensions.VocabularySize];
        _h = [new DeviceBuffer<float>[_layers], new DeviceBuffer<float>[_layers]];
        _c = [new DeviceBuffer<float>[_layers], new DeviceBuffer<float>[_layers]];
        try
        {
            for (int copy = 0; copy < 2; copy++)
            {
                for (int k = 0; k < _layers; k++)
                {
                    _h[copy][k] = _context.Allocate<float>(state);
                    _c[copy][k] = _context.Allocate<float>(state);
                }
            }
            _logits = _context.Allocate<float>(_perStep);
            // Slot t is step t's input; slot t + 1 receives the token generated from step t's logits.
            _tokens = _context.Allocate<int>((ChunkSteps + 1L) * streams);
            _nextToken = _context.Allocate<int>(streams);
            _stream = _context.CreateStream();
            // TensorRT allocates the context's memory in the current context.
            _context.MakeCurrent();
            _execution = engine.CreateExecutionContext();
            ResetOnDevice();
        }
        catch (TensorRtException e)
        {
            Release();
            throw new TensorRtBackendException($"Could not create a TensorRT execution context: {e.Message}", e);
        }
        catch (Exception e) when (e is CudaException or NvrtcException)
        {
            Release();
            throw new TensorRtBackendException($"Could not allocate the session's device memory: {e.Message}", e);
        }
    }

    // The overrides translate the CUDA bindings' exceptions into the library's (Step translates TensorRT's); the work
    // is below.
    protected override void ResetCore()
    {
        try
        {
            ResetOnDevice();
        }
        catch (Exception e) when (e is CudaException or NvrtcException)
        {
            throw new TensorRtBackendException(e.Message, e);
        }
    }

    protected override void FeedCore(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep)
    {
        try
        {
            FeedOnDevice(tokens, steps, logitsPerStep);
        }
        catch (Exception e) when (e is CudaException or NvrtcException)
        {
            throw new TensorRtBackendException(e.Message, e);
        }
    }

    protected override void GenerateCore(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output)
    {
        try
        {
            GenerateOnDevice(steps, sampling, seed, counter, output);
        }
        catch (Exception e) when (e is CudaException or NvrtcException)
        {
            throw new TensorRtBackendException(e.Message, e);
        }
    }

    protected override void ReadLogitsCore(Span<float> destination)
    {
        try
        {
            ReadLogitsOnDevice(destination);
        }
        catch (Exception e) when (e is CudaException or NvrtcException)
        {
            throw new TensorRtBackendException(e.Message, e);
        }
    }

    protected override void SaveStateCore(Span<float> destination)
    {
        try
        {
            SaveStateOnDevice(destination);
        }
        catch (Exception e) when (e is CudaException or NvrtcException)
        {
            throw new TensorRtBackendException(e.Message, e);
        }
    }

    protected override void RestoreStateCore(ReadOnlySpan<float> source)
    {
        try
        {
            RestoreStateOnDevice(source);
        }
        catch (Exception e) when (e is CudaException or NvrtcException)
        {
            throw new TensorRtBackendException(e.Message, e);
        }
    }

    private void ResetOnDevice()
    {
        foreach (var buffer in _h.SelectMany(b => b).Concat(_c.SelectMany(b => b)))
        {
            buffer.ClearAsync(_stream);
        }
        _logits.ClearAsync(_stream);
        _nextToken.ClearAsync(_stream);
        _stream.Synchronize();
    }

    private void FeedOnDevice(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep)
    {
        _context.MakeCurrent();
        bool keepAll = !logitsPerStep.IsEmpty;
        if (keepAll)
        {
            _logitsChunk ??= _context.Allocate<float>((long)ChunkSteps * _perStep);
        }
        for (int done = 0; done < steps; done += ChunkSteps)
        {
            int n = Math.Min(ChunkSteps, steps - done);
            _tokens.CopyFromAsync(tokens.Slice(done * Streams, n * Streams), _stream);
            for (int t = 0; t < n; t++)
            {
                ulong logits = keepAll ? _logitsChunk!.PointerAt((long)t * _perStep) : _logits.Pointer;
                Step(_tokens.PointerAt((long)t * Streams), logits, _nextToken.Pointer);
            }
            if (keepAll)
            {
                _logitsChunk!.CopyTo(logitsPerStep.Slice(done * _perStep, n * _perStep), _stream);
                _logits.CopyFromAsync(_logitsChunk, (long)(n - 1) * _perStep, _perStep, _stream, offset: 0);
            }
            // The host token span may be reused by the caller once this returns.
            _stream.Synchronize();
        }
    }

    private void GenerateOnDevice(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output)
    {
        _context.MakeCurrent();
        if (sampling.IsGreedy)
        {
            GenerateGreedy(steps, counter, output);
            return;
        }
        // Created on the first sampled call: greedy and scoring sessions never load the kernel.
        _sampler ??= CudaTokenSampler.Create(_context, Dimensions.VocabularySize, Streams, _owner.LoggerFactory);
        for (int done = 0; done < steps; done += ChunkSteps)
        {
            int n = Math.Min(ChunkSteps, steps - done);
            ThrowIfLogitsNotFinite(counter + done);
            for (int t = 0; t < n; t++)
            {
                // The token sampled from the current logits is this step's output and the next enqueue's input.
                _sampler.SampleAsync(_logits, 0, _tokens, (long)t * Streams, Streams, sampling, seed, counter + done + t, _stream);
                Step(_tokens.PointerAt((long)t * Streams), _logits.Pointer, _nextToken.Pointer);
            }
            CopyTokensOut(n, output.Slice(done * Streams, n * Streams));
        }
    }

    // Argmax on the device, fed straight back: slot t of the token buffer is both step t's output and step t + 1's
    // input, so nothing crosses to the host until a chunk is done.
    private void GenerateGreedy(int steps, long counter, Span<int> output)
    {
        for (int done = 0; done < steps; done += ChunkSteps)
        {
            int n = Math.Min(ChunkSteps, steps - done);
            ThrowIfLogitsNotFinite(counter + done);
            _tokens.CopyFromAsync(_nextToken, 0, Streams, _stream, offset: 0);
            for (int t = 0; t < n; t++)
            {
                Step(_tokens.PointerAt((long)t * Streams), _logits.Pointer, _tokens.PointerAt((long)(t + 1) * Streams));
            }
            _nextToken.CopyFromAsync(_tokens, (long)n * Streams, Streams, _stream, offset: 0);
            CopyTokensOut(n, output.Slice(done * Streams, n * Streams));
        }
    }

    // TokenSampler's rule refuses logits without a finite maximum; the network's own argmax and the device sampler give
    // some token for them, so the logits a chunk starts from are checked on the host (NaN stays in the state once
    // there, so a later chunk reports logits that turn non-finite inside one).
    private void ThrowIfLogitsNotFinite(long step)
    {
        _logits.CopyTo(_hostLogits, _stream);
        int vocab = Dimensions.VocabularySize;
        for (int s = 0; s < Streams; s++)
        {
            if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Max(_hostLogits.AsSpan(s * vocab, vocab))))
            {
                throw new NonFiniteLogitsException(step, Streams == 1 ? null : s);
            }
        }
    }

    // Copies the chunk's n steps of tokens (slots 0 to n - 1) to the host, waiting for the chunk, and into output.
    private void CopyTokensOut(int n, Span<int> output)
    {
        var chunk = _hostTokens.AsSpan(0, n * Streams);
        _tokens.CopyTo(chunk, _stream);
        chunk.CopyTo(output);
    }

    private void ReadLogitsOnDevice(Span<float> destination) => _logits.CopyTo(destination, _stream);

    private void SaveStateOnDevice(Span<float> destination)
    {
        int n = Streams * Dimensions.HiddenSize, offset = 0;
        for (int k = 0; k < _layers; k++)
        {
            _h[_current][k].CopyTo(destination.Slice(offset, n), _stream);
            _c[_current][k].CopyTo(destination.Slice(offset + n, n), _stream);
            offset += 2 * n;
        }
        _logits.CopyTo(destination[offset..], _stream);
    }

    private void RestoreStateOnDevice(ReadOnlySpan<float> source)
    {
        int n = Streams * Dimensions.HiddenSize, offset = 0;
        for (int k = 0; k < _layers; k++)
        {
            _h[_current][k].CopyFromAsync(source.Slice(offset, n), _stream);
            _c[_current][k].CopyFromAsync(source.Slice(offset + n, n), _stream);
            offset += 2 * n;
        }
        var logits = source[offset..];
        _logits.CopyFromAsync(logits, _stream);
        // The device argmax belongs to the restored logits, not to whatever ran last. They are on the host already, so
        // the argmax is taken here rather than by loading the sampling kernel into a possibly greedy-only session.
        var next = _hostTokens.AsSpan(0, Streams);
        for (int s = 0; s < Streams; s++)
        {
            // IndexOfMax, not TokenSampler: non-finite logits are reported when generation starts from them.
            next[s] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.Slice(s * Dimensions.VocabularySize, Dimensions.VocabularySize));
        }
        _nextToken.CopyFromAsync(next, _stream);
        _stream.Synchronize();
    }

    // One enqueue: state is read from the current copy and written to the other, then the copies swap.
    private void Step(ulong tokens, ulong logits, ulong nextToken)
    {
        try
        {
            _execution.SetTensorAddress(TrtTensorNames.Tokens, (nint)tokens);
            _execution.SetTensorAddress(TrtTensorNames.Logits, (nint)logits);
            _execution.SetTensorAddress(TrtTensorNames.NextToken, (nint)nextToken);
            int next = 1 - _current;
            for (int k = 0; k < _layers; k++)
            {
                var names = _stateNames[k];
                _execution.SetTensorAddress(names[0], (nint)_h[_current][k].Pointer);
                _execution.SetTensorAddress(names[1], (nint)_c[_current][k].Pointer);
                _execution.SetTensorAddress(names[2], (nint)_h[next][k].Pointer);
                _execution.SetTensorAddress(names[3], (nint)_c[next][k].Pointer);
            }
            _execution.EnqueueV3(_stream.NativeHandle);
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
        try
        {
            // TensorRT releases its context's resources in the primary context, after the queued work is done.
            _context.MakeCurrent();
            _stream?.Synchronize();
        }
        catch (CudaException)
        {
            // A failed launch leaves the context in error; everything below is still released.
        }
        _sampler?.Dispose();
        _execution?.Dispose();
        _stream?.Dispose();
        foreach (var buffer in _h.SelectMany(b => b).Concat(_c.SelectMany(b => b)))
        {
            buffer?.Dispose();
        }
        _logits?.Dispose();
        _logitsChunk?.Dispose();
        _tokens?.Dispose();
        _nextToken?.Dispose();
        _context.Dispose();
    }
}
