namespace CharRnn.Bindings.Cuda;

/// <summary>
/// CUDA driver API status codes (<c>CUresult</c> in cuda.h). Only the values this library meets are named; any other
/// value is still carried and printed by number.
/// </summary>
#pragma warning disable CA1707 // The names are cuda.h's, so that logs and docs can be searched for them.
public enum CuResult
{
    /// <summary>No error.</summary>
    CUDA_SUCCESS = 0,
    /// <summary>An argument was out of range.</summary>
    CUDA_ERROR_INVALID_VALUE = 1,
    /// <summary>Device memory is exhausted.</summary>
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    /// <summary>cuInit has not been called.</summary>
    CUDA_ERROR_NOT_INITIALIZED = 3,
    /// <summary>The driver is shutting down.</summary>
    CUDA_ERROR_DEINITIALIZED = 4,
    /// <summary>No CUDA-capable device is present.</summary>
    CUDA_ERROR_NO_DEVICE = 100,
    /// <summary>The device ordinal is invalid.</summary>
    CUDA_ERROR_INVALID_DEVICE = 101,
    /// <summary>The kernel image is invalid.</summary>
    CUDA_ERROR_INVALID_IMAGE = 200,
    /// <summary>No context is current or the handle is invalid.</summary>
    CUDA_ERROR_INVALID_CONTEXT = 201,
    /// <summary>No kernel image is available for this device.</summary>
    CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
    /// <summary>The PTX could not be compiled.</summary>
    CUDA_ERROR_INVALID_PTX = 218,
    /// <summary>A named symbol (kernel) was not found.</summary>
    CUDA_ERROR_NOT_FOUND = 500,
    /// <summary>Asynchronous work is not finished (not an error for queries).</summary>
    CUDA_ERROR_NOT_READY = 600,
    /// <summary>A kernel accessed an illegal address; the context is unusable.</summary>
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    /// <summary>A launch asked for more resources (registers, shared memory) than the device has.</summary>
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    /// <summary>A kernel ran too long.</summary>
    CUDA_ERROR_LAUNCH_TIMEOUT = 702,
    /// <summary>A cooperative launch asked for more blocks than can be resident at once.</summary>
    CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE = 720,
    /// <summary>The operation is not supported here.</summary>
    CUDA_ERROR_NOT_SUPPORTED = 801,
    /// <summary>An unknown internal error.</summary>
    CUDA_ERROR_UNKNOWN = 999,
}
#pragma warning restore CA1707
