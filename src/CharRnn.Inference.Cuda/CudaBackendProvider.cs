using CharRnn.Bindings.Cuda;
using CharRnn.Inference.Conversion;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Model;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// Creates <see cref="CudaInferenceEngine"/>s. Pass it in <see cref="EngineOptions.Providers"/>; with
/// <see cref="Backend.Auto"/> it is used when a driver, a device with cooperative launch, and NVRTC are present.
/// Thread-safe.
/// </summary>
public sealed class CudaBackendProvider : IBackendProvider, IBackendDiagnostics
{
    /// <summary>Creates a provider for device <paramref name="deviceOrdinal"/>.</summary>
    public CudaBackendProvider(int deviceOrdinal = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceOrdinal);
        DeviceOrdinal = deviceOrdinal;
    }

    /// <summary>The device engines are built on.</summary>
    public int DeviceOrdinal { get; }

    /// <summary>
    /// The arithmetic of the engines' many-stream path; <see cref="CudaPrecision.Float32"/> (strict, the default) or
    /// the faster tensor cores: <see cref="CudaPrecision.Tf32"/>, <see cref="CudaPrecision.Float16"/> or
    /// <see cref="CudaPrecision.BFloat16"/>.
    /// </summary>
    public CudaPrecision Precision { get; init; } = CudaPrecision.Float32;

    /// <inheritdoc />
    public Backend Backend => Backend.Cuda;

    /// <inheritdoc />
    public bool IsAvailable(out string reason, out IReadOnlyList<string> diagnostics)
    {
        var trace = new List<string>();
        bool driver = CudaDriver.TryInitialize(out var driverTrace);
        trace.AddRange(driverTrace);
        if (!driver)
        {
            reason = CudaDriver.FailureReason;
            diagnostics = trace;
            return false;
        }
        int count = CudaDevice.Count;
        trace.Add($"{count} CUDA device(s)");
        if (count <= DeviceOrdinal)
        {
            reason = count == 0 ? "The NVIDIA driver reports no CUDA device." : $"CUDA device {DeviceOrdinal} does not exist ({count} device(s)).";
            diagnostics = trace;
            return false;
        }
        try
        {
            var device = CudaDevice.Get(DeviceOrdinal);
            trace.Add(device.ToString());
            if (!device.SupportsCooperativeLaunch)
            {
                reason = $"{device.Name} does not support cooperative launches, which the CUDA engine needs.";
                diagnostics = trace;
                return false;
            }
        }
        catch (CudaException e)
        {
            reason = e.Message;
            diagnostics = trace;
            return false;
        }
        bool nvrtc = Nvrtc.TryInitialize(out var nvrtcTrace);
        trace.AddRange(nvrtcTrace);
        if (!nvrtc)
        {
            reason = $"NVRTC ({string.Join(" or ", NvrtcNative.Candidates)}) could not be loaded: install the CUDA toolkit's NVRTC or set CUDA_PATH.";
            diagnostics = trace;
            return false;
        }
        reason = "";
        diagnostics = trace;
        return true;
    }

    /// <inheritdoc />
    public IReadOnlyList<KeyValuePair<string, string>> Describe() =>
        [.. CudaInstallation.Describe(), new("engine device", DeviceOrdinal.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    /// <inheritdoc />
    public InferenceEngine Create(NetworkWeights network, Vocabulary vocabulary, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(options);
        if (!IsAvailable(out string reason, out var diagnostics))
        {
            throw new BackendUnavailableException(Backend.Cuda, $"Backend Cuda cannot run here: {reason}", diagnostics);
        }
        if (!Enum.IsDefined(Precision))
        {
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "Use CudaPrecision.Float32, Tf32, Float16 or BFloat16.");
        }
        try
        {
            return new CudaInferenceEngine(network, vocabulary, DeviceOrdinal, options.LoggerFactory, Precision);
        }
        catch (Exception e) when (CudaBackendException.IsNative(e))
        {
            throw CudaBackendException.Wrap(e);
        }
    }
}
