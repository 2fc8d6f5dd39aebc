namespace CharRnn.Bindings.TensorRT;

/// <summary>A TensorRT call failed, or TensorRT or the shim could not be loaded. Carries the status and the call.</summary>
public sealed class TensorRtException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TensorRtException() { }

    /// <summary>Creates the exception with a message.</summary>
    public TensorRtException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public TensorRtException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a failed call.</summary>
    public TensorRtException(TensorRtStatus status, string call, string message)
        : base($"{call} failed ({status}): {message}")
    {
        Status = status;
        Call = call;
        NativeMessage = message;
    }

    /// <summary>The shim's status.</summary>
    public TensorRtStatus Status { get; }

    /// <summary>The shim function that failed.</summary>
    public string Call { get; } = "";

    /// <summary>The shim's message (TensorRT's last logged error where there was one).</summary>
    public string NativeMessage { get; } = "";
}
