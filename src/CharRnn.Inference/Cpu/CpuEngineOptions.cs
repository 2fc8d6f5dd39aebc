namespace CharRnn.Inference.Cpu;

/// <summary>Settings of the CPU engine, fixed when it is built. Immutable.</summary>
public sealed record CpuEngineOptions
{
    /// <summary>How the weights are stored; <see cref="CpuPrecision.Float32"/> unless asked otherwise.</summary>
    public CpuPrecision Precision { get; init; } = CpuPrecision.Float32;

    /// <summary>Throws when a value is out of range.</summary>
    internal void Validate()
    {
        if (!Enum.IsDefined(Precision))
        {
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "Unknown CPU precision.");
        }
    }
}
