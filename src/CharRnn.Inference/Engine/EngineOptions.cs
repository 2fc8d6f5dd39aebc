using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Engine;

/// <summary>How to build an engine.</summary>
public sealed record EngineOptions
{
    /// <summary>The backend to use; <see cref="Backend.Auto"/> picks the fastest available and logs why.</summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>Weight conversion settings (the forget bias).</summary>
    public ConversionOptions Conversion { get; init; } = new();

    /// <summary>Settings of the CPU engine (its weight precision), used when the CPU computes.</summary>
    public CpuEngineOptions Cpu { get; init; } = new();

    /// <summary>Backends beyond the CPU, in order of preference for <see cref="Backend.Auto"/>.</summary>
    public IReadOnlyList<IBackendProvider> Providers { get; init; } = [];

    /// <summary>Where logs go; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
