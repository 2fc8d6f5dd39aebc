namespace CharRnn.Inference.Engine;

/// <summary>Where an engine computes.</summary>
public enum Backend
{
    /// <summary>
    /// The fastest backend that works here: the first provider in <see cref="EngineOptions.Providers"/> that is an
    /// <see cref="IBackendProvider.IsAutoCandidate"/> and available (CUDA when a driver, a GPU and NVRTC are present),
    /// else the CPU. TensorRT is never picked by Auto: it runs only when named.
    /// </summary>
    Auto = 0,
    /// <summary>Managed SIMD code on the CPU; the numerical reference for the others.</summary>
    Cpu,
    /// <summary>Our own CUDA kernels (package CharRnn.Inference.Cuda).</summary>
    Cuda,
    /// <summary>NVIDIA TensorRT (package CharRnn.Inference.TensorRT); runs only when named, never picked by <see cref="Auto"/>.</summary>
    TensorRT,
}
