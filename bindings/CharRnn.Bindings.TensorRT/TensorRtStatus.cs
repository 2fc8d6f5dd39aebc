namespace CharRnn.Bindings.TensorRT;

/// <summary>The shim's status codes (<c>charrnn_trt_status</c>).</summary>
public enum TensorRtStatus
{
    /// <summary>Success.</summary>
    Ok = 0,
    /// <summary>A null handle or pointer, a negative size or an unknown enum value reached the shim.</summary>
    InvalidArgument = 1,
    /// <summary>TensorRT returned null or false; the message carries the error it logged.</summary>
    TensorRtFailure = 2,
    /// <summary>A C++ <c>std::exception</c> was caught in the shim.</summary>
    Exception = 3,
    /// <summary>Something other than a <c>std::exception</c> was thrown in the shim.</summary>
    UnknownException = 4,
    /// <summary>Not a shim status: TensorRT or the shim could not be loaded or is the wrong version.</summary>
    LoadFailure = 100,
}
