namespace CharRnn.Inference.TensorRT;

/// <summary>Settings of the TensorRT backend. Immutable.</summary>
public sealed record TensorRtBackendOptions
{
    private readonly int _device;

    /// <summary>The arithmetic allowed; part of the plan cache key.</summary>
    public TensorRtPrecision Precision { get; init; } = TensorRtPrecision.Float32;

    /// <summary>
    /// Where serialized plans are cached; null uses <c>%LOCALAPPDATA%/CharRnn.Inference/tensorrt-plans</c>
    /// (<c>~/.local/share/...</c> on Linux); an empty string disables the cache (every engine is built anew).
    /// </summary>
    public string? PlanCacheDirectory { get; init; }

    /// <summary>The CUDA device ordinal.</summary>
    public int Device
    {
        get => _device;
        init => _device = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Device), value, "The device ordinal must be >= 0.");
    }

    internal string? ResolvedPlanCacheDirectory => PlanCacheDirectory switch
    {
        null => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "CharRnn.Inference", "tensorrt-plans"),
        "" => null,
        var path => path,
    };
}
