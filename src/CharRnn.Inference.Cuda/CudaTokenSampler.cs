using CharRnn.Bindings.Cuda;
using CharRnn.Inference.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// Samples one token per stream from logits that are already in device memory, on the device, with
/// <see cref="TokenSampler"/>'s rule (greedy, temperature, top-k, top-p). It launches the CUDA engine's own compiled
/// <c>sample_batch</c> kernel (one warp per stream), so a backend that computes its logits elsewhere (the TensorRT
/// engine does) draws exactly the tokens the CUDA engine and the CPU engine draw. Stream <c>s</c> of a launch uses
/// <c>CounterRng.Uniform(seed, s, counter)</c>. Logits without a finite maximum, where <see cref="TokenSampler"/>
/// throws, give token 0 here: the token buffer is also the next step's input, so the caller checks the logits.
/// </summary>
/// <remarks>
/// Launches are queued on the caller's stream and return at once; nothing is copied to the host and nothing is
/// allocated per launch. The buffers and the stream must belong to the context the sampler was created in. Not
/// thread-safe: launches share the sampler's scratch memory, so give each session its own sampler. Synchronize the
/// streams it launched on before disposing it.
/// </remarks>
public sealed class CudaTokenSampler : IDisposable
{
    private const string KernelName = "sample_batch";

    private readonly CudaModule _module;
    private readonly CudaFunction _kernel;
    private readonly DeviceBuffer<float>? _scratch;
    private bool _disposed;

    private CudaTokenSampler(CudaModule module, CudaFunction kernel, DeviceBuffer<float>? scratch, int vocabularySize, int maxStreams)
    {
        _module = module;
        _kernel = kernel;
        _scratch = scratch;
        VocabularySize = vocabularySize;
        MaxStreams = maxStreams;
    }

    /// <summary>Logits per stream (the row length of the logits buffers).</summary>
    public int VocabularySize { get; }

    /// <summary>The most streams one launch may sample.</summary>
    public int MaxStreams { get; }

    /// <summary>
    /// Loads the sampling kernel into <paramref name="context"/> (from the cubin cache the CUDA engine also uses, else
    /// compiled by NVRTC and cached) and allocates its scratch memory for up to <paramref name="maxStreams"/> streams
    /// (none for vocabularies small enough to sample in shared memory).
    /// </summary>
    /// <exception cref="NvrtcException">NVRTC is missing or the kernel did not compile.</exception>
    /// <exception cref="CudaException">A driver call failed (for example CUDA_ERROR_OUT_OF_MEMORY).</exception>
    public static CudaTokenSampler Create(CudaContext context, int vocabularySize, int maxStreams, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxStreams, 1);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<CudaTokenSampler>();
        // No model-specific defines: sample_batch alone, from the persistent kernel's source.
        var module = KernelModule.Load(context, logger, [new KernelBuild(KernelGroup.Sampler, [], context.Device.Architecture, [])])[KernelGroup.Sampler];
        try
        {
            var kernel = module.GetFunction(KernelName);
            // Outside shared memory each stream's warp needs its own 3 x vocab floats (sample_batch indexes them by stream).
            var scratch = CudaInferenceEngine.SamplingScratchFitsSharedMemory(vocabularySize)
                ? null
                : context.Allocate<float>(checked(3L * vocabularySize * maxStreams));
            return new CudaTokenSampler(module, kernel, scratch, vocabularySize, maxStreams);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Queues sampling of <paramref name="streams"/> tokens on <paramref name="stream"/>: row <c>s</c> of
    /// <paramref name="logits"/> (<see cref="VocabularySize"/> floats from element <c>logitsOffset + s * VocabularySize</c>)
    /// gives the token written to element <c>tokensOffset + s</c> of <paramref name="tokens"/>. Returns without waiting.
    /// </summary>
    /// <param name="logits">Device logits, <c>[streams][vocabulary]</c> from <paramref name="logitsOffset"/>.</param>
    /// <param name="logitsOffset">Element of <paramref name="logits"/> where stream 0's row starts.</param>
    /// <param name="tokens">Device buffer receiving one token id per stream.</param>
    /// <param name="tokensOffset">Element of <paramref name="tokens"/> receiving stream 0's token.</param>
    /// <param name="streams">Rows to sample, 1 to <see cref="MaxStreams"/>.</param>
    /// <param name="sampling">The rule's settings.</param>
    /// <param name="seed">The random seed.</param>
    /// <param name="counter">The position in the random sequence (the step), at least 0.</param>
    /// <param name="stream">The stream the launch is ordered on.</param>
    public void SampleAsync(DeviceBuffer<float> logits, long logitsOffset, DeviceBuffer<int> tokens, long tokensOffset, int streams,
        SamplingOptions sampling, ulong seed, long counter, CudaStream stream)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentNullException.ThrowIfNull(stream);
        CheckLaunch(VocabularySize, MaxStreams, logits.Length, logitsOffset, tokens.Length, tokensOffset, streams, counter);
        var parameters = Parameters(logits.PointerAt(logitsOffset), tokens.PointerAt(tokensOffset), _scratch?.Pointer ?? 0,
            streams, VocabularySize, sampling, seed, counter);
        _kernel.Launch(Blocks(streams), CudaInferenceEngine.BlockThreads, SharedBytes(VocabularySize), stream, parameters);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _scratch?.Dispose();
            _module.Dispose();
        }
    }

    /// <summary>Validates a launch's ranges (everything <see cref="SampleAsync"/> checks besides nulls).</summary>
    internal static void CheckLaunch(int vocabularySize, int maxStreams, long logitsLength, long logitsOffset, long tokensLength, long tokensOffset,
        int streams, long counter)
    {
        if (streams < 1 || streams > maxStreams)
        {
            throw new ArgumentOutOfRangeException(nameof(streams), streams, $"The sampler was created for 1 to {maxStreams} streams.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(counter);
        long rows = (long)streams * vocabularySize;
        if (logitsOffset < 0 || logitsOffset > logitsLength - rows)
        {
            throw new ArgumentOutOfRangeException(nameof(logitsOffset), logitsOffset,
                $"{streams} stream(s) x {vocabularySize} logits from element {logitsOffset} do not fit in a buffer of {logitsLength}.");
        }
        if (tokensOffset < 0 || tokensOffset > tokensLength - streams)
        {
            throw new ArgumentOutOfRangeException(nameof(tokensOffset), tokensOffset,
                $"{streams} token(s) from element {tokensOffset} do not fit in a buffer of {tokensLength}.");
        }
    }

    /// <summary>
    /// The kernel's parameters. Only the fields that <c>sample_batch</c> reads are set (the others stay zero); the token
    /// goes to both of its outputs, which here are the same element.
    /// </summary>
    internal static RunParams Parameters(ulong logits, ulong tokens, ulong scratch, int streams, int vocabularySize, SamplingOptions sampling,
        ulong seed, long counter) => new()
        {
            Logits = logits,
            CurrentTokens = tokens,
            TokensOut = tokens,
            Scratch = scratch,
            Seed = seed,
            Counter = counter,
            Temperature = sampling.IsGreedy ? 0f : sampling.Temperature,
            TopP = sampling.TopP,
            TopK = sampling.TopK,
            Vocab = vocabularySize,
            Streams = streams,
            ScratchInSharedMemory = CudaInferenceEngine.SamplingScratchFitsSharedMemory(vocabularySize) ? 1 : 0,
        };

    /// <summary>Blocks of the launch: one warp per stream.</summary>
    internal static int Blocks(int streams) => (streams + CudaInferenceEngine.Warps - 1) / CudaInferenceEngine.Warps;

    /// <summary>Dynamic shared memory of the launch: every warp's scratch when it fits there, else none.</summary>
    internal static int SharedBytes(int vocabularySize) => CudaInferenceEngine.SamplingScratchFitsSharedMemory(vocabularySize)
        ? CudaInferenceEngine.Warps * 3 * vocabularySize * sizeof(float)
        : 0;
}
