namespace CharRnn.Bindings.Cuda;

/// <summary>A CUDA driver call failed. The message names the status (as the driver spells it) and the call.</summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CudaException() { }

    /// <summary>Creates the exception with a message.</summary>
    public CudaException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public CudaException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a failed call.</summary>
    /// <param name="result">The status the driver returned.</param>
    /// <param name="call">The failing call's source text.</param>
    /// <param name="statusName">The status name (cuGetErrorName, or a fallback).</param>
    /// <param name="description">The driver's description of the status, if known.</param>
    public CudaException(CuResult result, string call, string statusName, string? description)
        : base(FormatMessage(result, call, statusName, description))
    {
        Result = result;
        Call = call;
        StatusName = statusName;
    }

    /// <summary>The status the driver returned.</summary>
    public CuResult Result { get; }

    /// <summary>The source text of the failing call.</summary>
    public string Call { get; } = "";

    /// <summary>The status name, for example <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string StatusName { get; } = "";

    /// <summary>The message format: <c>CUDA_ERROR_X (n) in call: description</c>.</summary>
    public static string FormatMessage(CuResult result, string call, string statusName, string? description) =>
        $"{statusName} ({(int)result}) in {call}{(string.IsNullOrEmpty(description) ? "" : ": " + description)}";
}
