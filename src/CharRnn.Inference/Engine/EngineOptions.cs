using CharRnn.Inference.Conversion;
using CharRnn.Inference.Cpu;
using Microsoft.Extensions.Logging;

namespace CharRnn.Inference.Engine;

/// <summary>How to build an engine.</summary>
public sealed record EngineOptions
{
    /// <summary>The backend to use; <see cref="Backend.Auto"/> picks CUDA when a provider for it is given and usable, else the CPU, and logs why.</summary>
    public Backend Backend { get; init; } = Backend.Auto;

    /// <summary>Weight conversion settings (the forget bias).</summary>
    public ConversionOptions Conversion { get; init; } = new();

    /// <summary>Settings of the CPU engine (its weight precision), used when the CPU computes.</summary>
    public CpuEngineOptions Cpu { get; init; } = new();

    /// <summary>
    /// GPU backends, in order of preference for <see cref="Backend.Auto"/> (which skips those that are not
    /// <see cref="IBackendProvider.IsAutoCandidate"/>s); a named <see cref="Backend"/> uses the first provider of that
    /// backend. The CPU needs no entry: a <see cref="Cpu.CpuBackendProvider"/> is always there as the fallback (one
    /// listed here replaces it).
    /// </summary>
    public IReadOnlyList<IBackendProvider> Providers { get; init; } = [];

    /// <summary>Where logs go; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
