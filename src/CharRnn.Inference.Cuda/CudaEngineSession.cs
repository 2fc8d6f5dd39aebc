using System.Runtime.InteropServices;
using CharRnn.Bindings.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Sampling;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// Streams whose h, c and logits live in device memory. A Feed or Generate call is one kernel launch per chunk of
/// steps (chunks bound the token and logits buffers), one upload of the tokens and one download of the results: no
/// host copy or synchronization per character. The launch runs the resident kernel when the model fits on chip and the
/// session has few streams (<see cref="CudaInferenceEngine.ResidentMaxStreams"/>), else the persistent kernel. Sessions
/// of many streams (<see cref="CudaInferenceEngine.BatchMinStreams"/>) instead queue a few tiled launches per step on
/// the session's stream, still without host synchronization inside a call.
/// Not thread-safe.
/// </summary>
internal sealed class CudaEngineSession : EngineSession
{
    // Bounds of one launch's token buffers ([steps][streams]) and requested logits ([steps][streams][vocab]).
    private const long MaxTokensPerLaunch = 1L << 22;
    private const long MaxLogitsPerLaunch = 1L << 24;
    // tc_narrow_h's and tc_widen_h's launch (grid-stride loops).
    private const int ConvertBlocks = 256;
    private const int ConvertThreads = 256;

    private readonly CudaInferenceEngine _engine;
    private readonly CudaStream _stream;
    private readonly List<IDisposable> _owned = [];
    private readonly DeviceBuffer<float> _h;
    // Tensor cores with 16-bit operands: the layers' h, narrowed, laid out as _h, which then only stages the state
    // that the host saves or restores.
    private readonly DeviceBuffer<ushort>? _h16;
    private readonly DeviceBuffer<float> _c;
    private readonly DeviceBuffer<float> _logits;
    private readonly DeviceBuffer<int> _currentTokens;
    private readonly DeviceBuffer<float> _scratch;
    private readonly DeviceBuffer<uint> _barrier;
    private readonly DeviceBuffer<ulong>? _exchange;
    private readonly long _stateFloats;
    private readonly bool _batched;
    private readonly bool _resident;
    private DeviceBuffer<int>? _tokensIn;
    private DeviceBuffer<int>? _tokensOut;
    private DeviceBuffer<float>? _logitsOut;
    private int _parity;
    // Whether the last launch queued on _stream was a tensor-core kernel, so that the next one may overlap its tail
    // (programmatic dependent launch).
    private bool _afterTensorCoreKernel;
    // The resident kernel tags each exchanged h with its step's epoch; epochs only grow (modulo 2^32) over the session,
    // so a word left by an earlier launch never carries the epoch a later launch waits for.
    private uint _epoch = 1;

    public CudaEngineSession(CudaInferenceEngine engine, int streams) : base(engine.Dimensions, streams)
    {
        _engine = engine;
        var dims = engine.Dimensions;
        _stateFloats = (long)dims.LayerCount * streams * dims.HiddenSize;
        _batched = streams >= engine.BatchMinStreams;
        _resident = !_batched && streams <= engine.ResidentMaxStreams;
        var context = engine.Context;
        _stream = context.CreateStream();
        try
        {
            _h = Own(context.Allocate<float>(checked(2 * _stateFloats)));
            if (_batched && engine.TensorCores?.OperandBytes == sizeof(ushort))
            {
                _h16 = Own(context.Allocate<ushort>(checked(2 * _stateFloats)));
            }
            _c = Own(context.Allocate<float>(_stateFloats));
            _logits = Own(context.Allocate<float>(checked((long)streams * dims.VocabularySize)));
            _currentTokens = Own(context.Allocate<int>(streams));
            // Sampling scratch in global memory (large vocabularies): per warp of the persistent grid, or per stream.
            // At least 16 floats: the resident kernel's cycle counters when built with RES_PROFILE (benchmarks).
            long scratch = engine.ScratchInSharedMemory ? 16
                : 3L * dims.VocabularySize * (_batched ? streams : (long)engine.Grid * CudaInferenceEngine.Warps);
            _scratch = Own(context.Allocate<float>(scratch));
            _barrier = Own(context.Allocate<uint>(1));
            if (_resident)
            {
                _exchange = Own(context.Allocate<ulong>(engine.Resident!.ExchangeWords(streams)));
                _exchange.ClearAsync(_stream);
            }
            ClearState();
        }
        catch
        {
            DisposeOwned();
            _stream.Dispose();
            throw;
        }
    }

    /// <summary>Whether this session runs the many-stream path (tiled launches per step) rather than one launch per call.</summary>
    internal bool ManyStreamPath => _batched;

    /// <summary>Whether this session's launches run the resident kernel rather than the persistent one.</summary>
    internal bool ResidentPath => _resident;

    /// <summary>
    /// Block 0's cycles per phase of the last resident launch, summed over its steps, when the engine was built with
    /// RES_PROFILE (benchmarks; see Kernels/lstm_resident.cu).
    /// </summary>
    internal long[] ReadResidentProfile()
    {
        var floats = new float[16];
        _scratch.CopyTo(floats, _stream);
        return MemoryMarshal.Cast<float, long>(floats).ToArray();
    }

    // The overrides translate the bindings' exceptions into the library's (CudaBackendException); the work is below.
    protected override void ResetCore()
    {
        try
        {
            ClearState();
        }
        catch (Exception e) when (CudaBackendException.IsNative(e))
        {
            throw CudaBackendException.Wrap(e);
        }
    }

    protected override void FeedCore(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep)
    {
        try
        {
            FeedOnDevice(tokens, steps, logitsPerStep);
        }
        catch (Exception e) when (CudaBackendException.IsNative(e))
        {
            throw CudaBackendException.Wrap(e);
        }
    }

    protected override void GenerateCore(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output)
    {
        try
        {
            GenerateOnDevice(steps, sampling, seed, counter, output);
        }
        catch (Exception e) when (CudaBackendException.IsNative(e))
        {
            throw CudaBackendException.Wrap(e);
        }
    }

    protected override void ReadLogitsCore(Span<float> destination)
    {
        try
        {
            ReadLogitsOnDevice(destination);
        }
        catch (Exception e) when (CudaBackendException.IsNative(e))
        {
            throw CudaBackendException.Wrap(e);
        }
    }

    protected override void SaveStateCore(Span<float> destination)
    {
        try
        {
            SaveStateOnDevice(destination);
        }
        catch (Exception e) when (CudaBackendException.IsNative(e))
        {
            throw CudaBackendException.Wrap(e);
        }
    }

    protected override void RestoreStateCore(ReadOnlySpan<float> source)
    {
        try
        {
            RestoreStateOnDevice(source);
        }
        catch (Exception e) when (CudaBackendException.IsNative(e))
        {
            throw CudaBackendException.Wrap(e);
        }
    }

    private void FeedOnDevice(ReadOnlySpan<int> tokens, int steps, Span<float> logitsPerStep)
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
                if (_batched)
                {
                    FeedBatched(n, wantLogits, lastChunk: done + n == steps);
                }
                else
                {
                    var p = Parameters(n, SamplingOptions.Greedy, 0, 0);
                    p.TokensIn = _tokensIn.Pointer;
                    p.LogitsOut = wantLogits ? _logitsOut!.Pointer : 0;
                    Launch(p);
                }
                if (wantLogits)
                {
                    _logitsOut!.CopyTo(logitsPerStep.Slice(done * streams * vocab, n * streams * vocab), _stream);
                }
            }
            _stream.Synchronize();
        }
    }

    private void GenerateOnDevice(int steps, SamplingOptions sampling, ulong seed, long counter, Span<int> output)
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
                if (_batched)
                {
                    GenerateBatched(n, p);
                }
                else
                {
                    Launch(p);
                }
                var rows = output.Slice(done * streams, n * streams);
                _tokensOut.CopyTo(rows, _stream);
                NonFiniteTokens.ThrowIfAny(rows, streams, counter + done);
            }
        }
    }

    private void ReadLogitsOnDevice(Span<float> destination) => _logits.CopyTo(destination, _stream);

    private void SaveStateOnDevice(Span<float> destination)
    {
        ConvertH(_engine.TensorCores?.WidenH);
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

    private void RestoreStateOnDevice(ReadOnlySpan<float> source)
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
        ConvertH(_engine.TensorCores?.NarrowH);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeOwned();
            _stream.Dispose();
        }
    }

    // On the tensor-core path, the current h as the host wrote it to the layers' operands (NarrowH: narrowed into _h16,
    // or in TF32 rounded in place), or with 16-bit operands widened back into _h (WidenH).
    private void ConvertH(CudaFunction? conversion)
    {
        if (_batched && conversion is not null)
        {
            var p = new NarrowParams { H = _h.PointerAt(HOffset(0)), H16 = _h16?.PointerAt(HOffset(0)) ?? 0, Count = _stateFloats };
            conversion.Launch(ConvertBlocks, ConvertThreads, 0, _stream, p);
            _afterTensorCoreKernel = false;
        }
    }

    // h is double-buffered on the device: [parity][layer][stream][hidden].
    private long HOffset(int layer) => ((long)_parity * Dimensions.LayerCount + layer) * Streams * Dimensions.HiddenSize;

    private void ClearState()
    {
        _h.ClearAsync(_stream);
        _h16?.ClearAsync(_stream);
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
            // Greedy also when 1 / T overflows (SamplingOptions.IsGreedy): the kernels take temperature 0 as argmax.
            Temperature = sampling.IsGreedy ? 0f : sampling.Temperature,
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
        if (_resident)
        {
            var layout = _engine.Resident!;
            var q = p;
            q.Exchange = _exchange!.Pointer;
            q.Epoch = _epoch;
            // Cooperative: every block must be resident, since each waits for words the others publish.
            // One stream generating with no per-step logits (the latency case) gets a generation-only build.
            bool generateOnly = p.TokensIn == 0 && p.LogitsOut == 0;
            var kernel = Streams > 1 ? _engine.ResidentMany!
                : !generateOnly ? _engine.ResidentSingle!
                : p.Temperature == 0.0f ? _engine.ResidentGreedy!
                : _engine.ResidentSampled!;
            kernel.LaunchCooperative(layout.Grid, layout.Threads, layout.SharedBytes(Streams), _stream, q);
            _epoch = unchecked(_epoch + (uint)p.Steps);
        }
        else
        {
            // The grid barrier counts arrivals from zero in every launch.
            _barrier.ClearAsync(_stream);
            _engine.Kernel.LaunchCooperative(_engine.Grid, CudaInferenceEngine.BlockThreads, _engine.SharedBytes(p.StageStreams), _stream, p);
        }
        _parity ^= p.Steps & 1;
    }

    // Many-stream path; callers hold the engine's launch gate. Each step: layers (tokens from _tokensIn), projection
    // when its logits are needed (every step with per-step logits, else after the last step of the call).
    private void FeedBatched(int steps, bool wantLogits, bool lastChunk)
    {
        _engine.ThrowIfDisposed();
        _afterTensorCoreKernel = false;   // the tokens were just copied in
        long logitsPerStep = (long)Streams * Dimensions.VocabularySize;
        for (int t = 0; t < steps; t++)
        {
            LaunchLayers(_tokensIn!.PointerAt((long)t * Streams), early: false);
            if (wantLogits || (lastChunk && t + 1 == steps))
            {
                LaunchProjection(wantLogits ? _logitsOut!.PointerAt(t * logitsPerStep) : 0);
            }
            _parity ^= 1;
        }
    }

    // Each step: sample every stream from the current logits (tokens to _currentTokens and this step's output row),
    // then the layers from those tokens, then the projection. Greedy sessions of many streams on the tensor-core path
    // whose vocabulary fits one column tile sample in the projection instead (fc_tc_greedy, the same rule as
    // sample_batch's greedy branch): only the first step launches sample_batch, each projection writes the next step's
    // tokens. Other steps after the first on the tensor-core path sample in sample_batch_tc, which overlaps the
    // projection's tail.
    private void GenerateBatched(int steps, RunParams p)
    {
        _engine.ThrowIfDisposed();
        var e = _engine;
        int vocab = Dimensions.VocabularySize;
        int blocks = (Streams + CudaInferenceEngine.Warps - 1) / CudaInferenceEngine.Warps;
        int shared = e.ScratchInSharedMemory ? CudaInferenceEngine.Warps * 3 * vocab * sizeof(float) : 0;
        var tensorCores = e.TensorCores;
        bool greedyInProjection = p.Temperature == 0.0f && tensorCores is not null && e.Batch.FcPaddedN <= TensorCoreKernels.GreedyMaxColumns;
        // The layers multiply their old h before waiting for the kernel before them (GemmParams.early): every layer 0
        // after the first follows the greedy projection or sample_batch_tc, which let it begin only once the previous
        // step's layers have finished, and the first follows sample_batch (no overlap). Layers that run early take the
        // fused projection at every batch; the others from FusedGreedyMinStreams on.
        bool early = tensorCores is not null && tensorCores.RunsEarly(Streams, e.Batch.PaddedN, e.Batch.WidestPaddedK);
        bool fusedGreedy = greedyInProjection && (early || Streams >= tensorCores!.FusedGreedyMinStreams);
        long counter = p.Counter;
        ulong tokensOut = p.TokensOut;
        ulong RowOf(int step) => tokensOut + (ulong)((long)step * Streams * sizeof(int));
        for (int t = 0; t < steps; t++)
        {
            if (t == 0 || !fusedGreedy)
            {
                p.Counter = counter + t;
                p.TokensOut = RowOf(t);
                if (t > 0 && tensorCores is not null)
                {
                    LaunchAfterTensorCore(tensorCores.Sampler, blocks, CudaInferenceEngine.BlockThreads, shared, p);
                }
                else
                {
                    e.SampleBatch.Launch(blocks, CudaInferenceEngine.BlockThreads, shared, _stream, p);
                    _afterTensorCoreKernel = false;
                }
            }
            LaunchLayers(_currentTokens.Pointer, early);
            if (fusedGreedy)
            {
                LaunchGreedyProjection(t + 1 < steps ? RowOf(t + 1) : 0, early);
            }
            else
            {
                LaunchProjection(0);
            }
            _parity ^= 1;
        }
    }

    private void LaunchLayers(ulong tokens, bool early)
    {
        var e = _engine;
        var batch = e.Batch;
        var dims = Dimensions;
        int hidden = dims.HiddenSize, layers = dims.LayerCount;
        long layerFloats = (long)Streams * hidden;
        long current = (long)_parity * layers * layerFloats, next = (long)(_parity ^ 1) * layers * layerFloats;
        // The 128 x 128 tile once it gives half the multiprocessors a block, else 32 x 32 tiles (more blocks): the two
        // cross there (docs/PERFORMANCE.md#float32-tiles).
        int tilesN = batch.PaddedN / BatchWeights.TileColumns;
        int largeTiles = (Streams + 127) / 128 * tilesN;
        bool large = e.TileChoice switch { 0 => largeTiles * 2 >= e.Device.MultiprocessorCount, 1 => false, _ => true };
        var kernel = large ? e.GemmLarge : e.GemmSmall;
        int blocks = large ? largeTiles : (Streams + 31) / 32 * (batch.PaddedN / 32);
        int threads = large ? CudaInferenceEngine.LargeTileThreads : CudaInferenceEngine.SmallTileThreads;
        int shared = large ? CudaInferenceEngine.LargeTileSharedBytes : CudaInferenceEngine.SmallTileSharedBytes;
        var tile = e.TensorCores?.LayerTile(Streams, batch.PaddedN, batch.WidestPaddedK);
        for (int k = 0; k < layers; k++)
        {
            var layer = batch.Layers[k];
            var g = new GemmParams
            {
                X = k > 0 ? OperandH(next + (k - 1) * layerFloats) : 0,
                H = OperandH(current + k * layerFloats),
                W = layer.WeightsPointer,
                Base = k == 0 ? batch.TablePointer : layer.BiasPointer,
                Tokens = k == 0 ? tokens : 0,
                C = _c.PointerAt(k * layerFloats),
                Out = _h.PointerAt(next + k * layerFloats),
                Out16 = _h16?.PointerAt(next + k * layerFloats) ?? 0,
                Streams = Streams,
                InputWidth = layer.InputWidth,
                Hidden = hidden,
                K = layer.Width,
                PaddedK = layer.PaddedK,
                PaddedN = batch.PaddedN,
                Aligned = layer.InputWidth % OperandChunk == 0 && hidden % OperandChunk == 0 ? 1 : 0,
                Early = early ? 1 : 0,
            };
            if (tile is { } t)
            {
                LaunchTensorCore(t, t.Blocks(Streams, batch.PaddedN), g);
            }
            else
            {
                kernel.Launch(blocks, threads, shared, _stream, g);
            }
        }
    }

    // A tensor-core kernel, overlapping the tail of the one before it when that one is a tensor-core kernel too and the
    // device can (lstm_tensorcore.cu: each waits for its predecessor before reading what that one writes).
    private void LaunchTensorCore<TArgs>(TensorCoreKernels.Tile tile, int blocks, in TArgs arguments) where TArgs : unmanaged
    {
        if (tile.Overlap)
        {
            LaunchAfterTensorCore(tile.Function, blocks, tile.Threads, tile.SharedBytes, arguments);
            return;
        }
        tile.Function.Launch(blocks, tile.Threads, tile.SharedBytes, _stream, arguments);
        _afterTensorCoreKernel = true;
    }

    // A kernel of lstm_tensorcore.cu (which waits for its predecessor before reading what that one writes), as a
    // programmatic dependent where the kernel before it is one too and the device can.
    private void LaunchAfterTensorCore<TArgs>(CudaFunction function, int blocks, int threads, int shared, in TArgs arguments) where TArgs : unmanaged
    {
        if (_afterTensorCoreKernel && _engine.ProgrammaticLaunch)
        {
            function.LaunchProgrammaticDependent(blocks, threads, shared, _stream, arguments);
        }
        else
        {
            function.Launch(blocks, threads, shared, _stream, arguments);
        }
        _afterTensorCoreKernel = true;
    }

    private void LaunchProjection(ulong logitsOut)
    {
        var e = _engine;
        var batch = e.Batch;
        var g = ProjectionParams(logitsOut);
        if (e.TensorCores is { } tensorCores)
        {
            var tile = tensorCores.Projection;
            LaunchTensorCore(tile, tile.Blocks(Streams, batch.FcPaddedN), g);
            return;
        }
        e.FcGemm.Launch((Streams + 31) / 32 * (batch.FcPaddedN / BatchWeights.FcTileColumns), CudaInferenceEngine.SmallTileThreads,
            CudaInferenceEngine.SmallTileSharedBytes, _stream, g);
    }

    // The projection with greedy sampling fused: tokens to _currentTokens and, unless 0, to the output row tokensOut.
    // early: the next layer 0 multiplies before its wait, so this kernel signals it only after its own wait.
    private void LaunchGreedyProjection(ulong tokensOut, bool early)
    {
        var tile = _engine.TensorCores!.GreedyProjection(Streams, early);
        var gemm = ProjectionParams(0);
        gemm.Early = early ? 1 : 0;
        var q = new GreedyProjectionParams { Gemm = gemm, NextTokens = _currentTokens.Pointer, TokensOut = tokensOut };
        LaunchTensorCore(tile, tile.Blocks(Streams, TensorCoreKernels.GreedyMaxColumns), q);
    }

    private GemmParams ProjectionParams(ulong logitsOut)
    {
        var e = _engine;
        var batch = e.Batch;
        var dims = Dimensions;
        long layerFloats = (long)Streams * dims.HiddenSize;
        long next = (long)(_parity ^ 1) * dims.LayerCount * layerFloats;
        return new GemmParams
        {
            H = OperandH(next + (dims.LayerCount - 1) * layerFloats),
            W = batch.FcWeightsPointer,
            Base = e.FcBiasPointer,
            Out = _logits.Pointer,
            Out2 = logitsOut,
            Streams = Streams,
            Hidden = dims.HiddenSize,
            K = dims.HiddenSize,
            PaddedK = batch.FcPaddedK,
            PaddedN = batch.FcPaddedN,
            N = dims.VocabularySize,
            Aligned = dims.HiddenSize % OperandChunk == 0 ? 1 : 0,
        };
    }

    // The many-stream kernels' A operand: element `offset` of h, in the copy the products read.
    private ulong OperandH(long offset) => _h16 is not null ? _h16.PointerAt(offset) : _h.PointerAt(offset);

    // Elements of [x | h] per 16-byte copy of the many-stream kernels (GemmParams.aligned).
    private int OperandChunk => 16 / (_engine.TensorCores?.OperandBytes ?? sizeof(float));

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
