namespace CharRnn.Inference.TensorRT.Cuda;

/// <summary>A CUDA driver call made by the TensorRT engine failed; the message names the call and the CUresult.</summary>
public sealed class CudaDriverException : CharRnnException
{
    /// <summary>Creates the exception.</summary>
    public CudaDriverException() { }

    /// <summary>Creates the exception with a message.</summary>
    public CudaDriverException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public CudaDriverException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a failed call.</summary>
    public CudaDriverException(string resultName, int result, string call)
        : base($"{call} failed: {resultName} ({result}).")
    {
        ResultName = resultName;
        Result = result;
        Call = call;
    }

    /// <summary>The CUresult's name (for example CUDA_ERROR_OUT_OF_MEMORY).</summary>
    public string ResultName { get; } = "";

    /// <summary>The CUresult's value.</summary>
    public int Result { get; }

    /// <summary>The driver function that failed.</summary>
    public string Call { get; } = "";
}
