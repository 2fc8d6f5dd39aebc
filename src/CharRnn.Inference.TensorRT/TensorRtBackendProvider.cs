using CharRnn.Bindings.TensorRT;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;
using CharRnn.Inference.TensorRT.Cuda;

namespace CharRnn.Inference.TensorRT;

/// <summary>
/// Creates <see cref="TensorRtInferenceEngine"/>s. Available when TensorRT 10 (libnvinfer.so.10 / nvinfer_10.dll), the
/// charrnn_trt shim of the same major version, and the CUDA driver (libcuda.so.1) with a device load here. Pass it in
/// <see cref="EngineOptions.Providers"/>.
/// </summary>
public sealed class TensorRtBackendProvider : IBackendProvider
{
    private readonly TensorRtBackendOptions _options;

    /// <summary>Creates the provider.</summary>
    public TensorRtBackendProvider(TensorRtBackendOptions? options = null) => _options = options ?? new TensorRtBackendOptions();

    /// <inheritdoc />
    public Backend Backend => Backend.TensorRT;

    /// <inheritdoc />
    public bool IsAvailable(out string reason, out IReadOnlyList<string> diagnostics)
    {
        var trace = new List<string>();
        bool tensorRt = TensorRtRuntime.TryInitialize(out var tensorRtTrace);
        trace.AddRange(tensorRtTrace);
        if (!tensorRt)
        {
            reason = $"TensorRT is not usable here ({string.Join(" or ", TensorRtRuntime.InferLibraryNames)} with the charrnn_trt shim): {tensorRtTrace[^1]}";
            diagnostics = trace;
            return false;
        }
        bool cuda = CudaDriver.TryInitialize(out var cudaTrace);
        trace.AddRange(cudaTrace);
        if (!cuda)
        {
            reason = $"TensorRT loaded but the CUDA driver is not usable ({string.Join(", ", CudaDriver.LibraryNames)}): {cudaTrace[^1]}";
            diagnostics = trace;
            return false;
        }
        reason = "";
        diagnostics = trace;
        return true;
    }

    /// <inheritdoc />
    public InferenceEngine Create(NetworkWeights network, Vocabulary vocabulary, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(options);
        if (!IsAvailable(out string reason, out var diagnostics))
        {
            throw new BackendUnavailableException(Backend.TensorRT, reason, diagnostics);
        }
        return new TensorRtInferenceEngine(network, vocabulary, options, _options);
    }
}
