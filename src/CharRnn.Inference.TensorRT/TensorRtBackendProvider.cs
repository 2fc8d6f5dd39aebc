using CharRnn.Bindings.Cuda;
using CharRnn.Bindings.TensorRT;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cuda;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;

namespace CharRnn.Inference.TensorRT;

/// <summary>
/// Creates <see cref="TensorRtInferenceEngine"/>s. Available when TensorRT 10 (libnvinfer.so.10 / nvinfer_10.dll), the
/// charrnn_trt shim of the same major version, the CUDA driver (libcuda.so.1) with the configured device, and NVRTC
/// (which compiles the device sampler, <see cref="CudaTokenSampler"/>) load here. Pass it in
/// <see cref="EngineOptions.Providers"/> and name <see cref="Backend.TensorRT"/>: <see cref="Backend.Auto"/> never picks it.
/// </summary>
public sealed class TensorRtBackendProvider : IBackendProvider, IBackendDiagnostics
{
    private readonly TensorRtBackendOptions _options;

    /// <summary>Creates the provider.</summary>
    public TensorRtBackendProvider(TensorRtBackendOptions? options = null) => _options = options ?? new TensorRtBackendOptions();

    /// <inheritdoc />
    public Backend Backend => Backend.TensorRT;

    /// <summary>
    /// False: the TensorRT engine has not been validated against a real TensorRT installation, so a machine that has
    /// TensorRT does not get it from <see cref="Backend.Auto"/>; it runs only when <see cref="Backend.TensorRT"/> is named.
    /// </summary>
    public bool IsAutoCandidate => false;

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
            reason = $"TensorRT loaded but the CUDA driver is not usable: {CudaDriver.FailureReason}";
            diagnostics = trace;
            return false;
        }
        int devices = CudaDevice.Count;
        trace.Add($"{devices} CUDA device(s)");
        if (devices <= _options.Device)
        {
            reason = devices == 0
                ? "TensorRT loaded but the NVIDIA driver reports no CUDA device."
                : $"TensorRT loaded but CUDA device {_options.Device} does not exist ({devices} device(s)).";
            diagnostics = trace;
            return false;
        }
        bool nvrtc = Nvrtc.TryInitialize(out var nvrtcTrace);
        trace.AddRange(nvrtcTrace);
        if (!nvrtc)
        {
            reason = "TensorRT and the CUDA driver loaded but NVRTC could not be loaded; the TensorRT engine samples on the device "
                + "with a kernel NVRTC compiles: install the CUDA toolkit's NVRTC or set CUDA_PATH.";
            diagnostics = trace;
            return false;
        }
        reason = "";
        diagnostics = trace;
        return true;
    }

    /// <inheritdoc />
    public IReadOnlyList<KeyValuePair<string, string>> Describe()
    {
        var details = new List<KeyValuePair<string, string>>
        {
            new("TensorRT libraries tried", string.Join(", ", TensorRtRuntime.InferLibraryNames)),
        };
        details.Add(TensorRtRuntime.TryInitialize(out _) && TensorRtRuntime.LibraryVersion is { } version
            ? new("TensorRT version", version.ToString())
            : new("TensorRT version", "not loaded"));
        details.AddRange(TensorRtRuntime.Warnings.Select(w => new KeyValuePair<string, string>("TensorRT warning", w)));
        // The driver, GPUs and NVRTC that the engine's device memory, streams and sampler need.
        details.AddRange(CudaInstallation.Describe());
        details.Add(new("engine device", _options.Device.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        details.Add(new("precision", _options.Precision.ToString()));
        details.Add(new("plan cache", _options.PlanCacheDirectory ?? "off"));
        return details;
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
        try
        {
            return new TensorRtInferenceEngine(network, vocabulary, options, _options);
        }
        catch (Exception e) when (e is CudaException or NvrtcException)
        {
            throw new TensorRtBackendException($"Could not start the TensorRT engine on CUDA device {_options.Device}: {e.Message}", e);
        }
    }
}
