using CharRnn.Bindings.Cuda;
using CharRnn.Bindings.TensorRT;

namespace CharRnn.Inference.TensorRT;

/// <summary>
/// A TensorRT, CUDA driver or NVRTC call of the engine failed: wraps the bindings' exceptions (<see cref="TensorRtException"/>,
/// <see cref="CudaException"/>, <see cref="NvrtcException"/>) in the library's hierarchy.
/// </summary>
public sealed class TensorRtBackendException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public TensorRtBackendException() { }

    /// <summary>Creates the exception with a message.</summary>
    public TensorRtBackendException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public TensorRtBackendException(string message, Exception innerException) : base(message, innerException)
    {
        Status = (innerException as TensorRtException)?.Status ?? TensorRtStatus.Ok;
    }

    /// <summary>The shim's status (<see cref="TensorRtStatus.Ok"/> when the cause was not a shim call).</summary>
    public TensorRtStatus Status { get; }
}
