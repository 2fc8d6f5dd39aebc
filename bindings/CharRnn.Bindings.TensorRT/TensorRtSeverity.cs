namespace CharRnn.Bindings.TensorRT;

/// <summary>TensorRT's <c>ILogger::Severity</c>.</summary>
public enum TensorRtSeverity
{
    /// <summary>An internal error; TensorRT may be unusable.</summary>
    InternalError = 0,
    /// <summary>An error.</summary>
    Error = 1,
    /// <summary>A warning.</summary>
    Warning = 2,
    /// <summary>Information.</summary>
    Info = 3,
    /// <summary>Verbose detail.</summary>
    Verbose = 4,
}
