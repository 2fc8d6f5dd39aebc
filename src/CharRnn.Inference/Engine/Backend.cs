namespace CharRnn.Inference.Engine;

/// <summary>Where an engine computes.</summary>
public enum Backend
{
    /// <summary>The fastest backend that works here: CUDA when a driver, a GPU and NVRTC are present, else the CPU.</summary>
    Auto = 0,
    /// <summary>Managed SIMD code on the CPU; the numerical reference for the others.</summary>
    Cpu,
    /// <summary>Our own CUDA kernels (package CharRnn.Inference.Cuda).</summary>
    Cuda,
    /// <summary>NVIDIA TensorRT (package CharRnn.Inference.TensorRT).</summary>
    TensorRT,
}
