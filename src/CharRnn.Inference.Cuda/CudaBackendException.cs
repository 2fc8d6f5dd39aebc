using CharRnn.Bindings.Cuda;

namespace CharRnn.Inference.Cuda;

/// <summary>
/// The CUDA engine failed: a driver call (the bindings' <see cref="CudaException"/>), an NVRTC compile
/// (<see cref="NvrtcException"/>, its log in the message) or a device limit the model does not fit. Wraps the
/// bindings' exceptions in the library's hierarchy, so that callers catch <see cref="CharRnnException"/> alone.
/// </summary>
public sealed class CudaBackendException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public CudaBackendException() { }

    /// <summary>Creates the exception with a message.</summary>
    public CudaBackendException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public CudaBackendException(string message, Exception innerException) : base(message, innerException)
    {
        StatusName = innerException switch
        {
            CudaException e => e.StatusName,
            NvrtcException e => e.StatusName,
            _ => "",
        };
    }

    /// <summary>
    /// The failing status as the driver or NVRTC names it (for example <c>CUDA_ERROR_OUT_OF_MEMORY</c>); empty when the
    /// cause was not a native call.
    /// </summary>
    public string StatusName { get; } = "";

    /// <summary>Whether <paramref name="exception"/> is one the bindings throw for a failed native call.</summary>
    internal static bool IsNative(Exception exception) => exception is CudaException or NvrtcException;

    /// <summary>Wraps a native failure (see <see cref="IsNative"/>) with its message.</summary>
    internal static CudaBackendException Wrap(Exception exception) => new(exception.Message, exception);
}
