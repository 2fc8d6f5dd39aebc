namespace CharRnn.Inference.TensorRT.Cuda;

/// <summary>A CUstream (usable as TensorRT's cudaStream_t). <see cref="Synchronize"/> is the only call that waits.</summary>
internal sealed unsafe class CudaStream : IDisposable
{
    private nint _stream;

    public CudaStream()
    {
        nint stream;
        // CU_STREAM_NON_BLOCKING (1): no implicit synchronization with the legacy default stream.
        CudaDriver.Check(CudaDriverMethods.cuStreamCreate(&stream, 1));
        _stream = stream;
    }

    public nint Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_stream == 0, this);
            return _stream;
        }
    }

    public void Synchronize() => CudaDriver.Check(CudaDriverMethods.cuStreamSynchronize(Handle));

    public void Dispose()
    {
        if (_stream != 0)
        {
            _ = CudaDriverMethods.cuStreamDestroy_v2(_stream);
            _stream = 0;
        }
    }
}
