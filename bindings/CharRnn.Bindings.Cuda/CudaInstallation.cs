using System.Globalization;

namespace CharRnn.Bindings.Cuda;

/// <summary>What the CUDA driver and NVRTC report on this machine, for diagnostics tools (such as <c>charrnn doctor</c>).</summary>
public static class CudaInstallation
{
    /// <summary>
    /// The driver API version, every GPU (name, compute capability, multiprocessors, memory, cooperative launch) and the
    /// NVRTC version, as ordered name/value pairs. Loads the driver and NVRTC if they are not loaded yet. Never throws:
    /// what cannot be read is reported as such (the driver's failure reason, a device's error, <c>"not loaded"</c>).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Describe()
    {
        var details = new List<KeyValuePair<string, string>>();
        if (!CudaDriver.TryInitialize(out _))
        {
            details.Add(new("CUDA driver", CudaDriver.FailureReason));
            return details;
        }
        details.Add(new("CUDA driver API version", VersionText(CudaDriver.DriverVersion)));
        for (int ordinal = 0; ordinal < CudaDevice.Count; ordinal++)
        {
            try
            {
                var device = CudaDevice.Get(ordinal);
                details.Add(new($"GPU {ordinal}", $"{device.Name} (compute capability {device.ComputeCapability}, {device.MultiprocessorCount} SMs, "
                    + $"{device.TotalMemory >> 20} MiB, cooperative launch {(device.SupportsCooperativeLaunch ? "yes" : "no")})"));
            }
            catch (CudaException e)
            {
                details.Add(new($"GPU {ordinal}", e.Message));
            }
        }
        details.Add(new("NVRTC", Nvrtc.TryInitialize(out _) ? VersionText(Nvrtc.Version) : "not loaded"));
        return details;
    }

    // CUDA reports versions as major * 1000 + minor * 10.
    private static string VersionText(int version) => string.Create(CultureInfo.InvariantCulture, $"{version / 1000}.{version % 1000 / 10}");
}
