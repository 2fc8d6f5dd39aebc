namespace CharRnn.Bindings.Cuda;

/// <summary>NVRTC failed (most often: a kernel did not compile). <see cref="CompileLog"/> holds the compiler's log.</summary>
public sealed class NvrtcException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NvrtcException() { }

    /// <summary>Creates the exception with a message.</summary>
    public NvrtcException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public NvrtcException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a failed NVRTC call.</summary>
    public NvrtcException(int status, string statusName, string call, string compileLog)
        : base($"{statusName} ({status}) in {call}{(compileLog.Length == 0 ? "" : Environment.NewLine + compileLog)}")
    {
        Status = status;
        StatusName = statusName;
        CompileLog = compileLog;
    }

    /// <summary>The nvrtcResult value.</summary>
    public int Status { get; }

    /// <summary>The status name, for example <c>NVRTC_ERROR_COMPILATION</c>.</summary>
    public string StatusName { get; } = "";

    /// <summary>The compiler's log (errors and warnings), empty when there was none.</summary>
    public string CompileLog { get; } = "";
}
