namespace CharRnn.Inference.TensorRT.Cuda;

/// <summary>
/// One device allocation of <typeparamref name="T"/> elements (cuMemAlloc_v2), freed once. Copies are asynchronous on
/// the given stream; host spans must stay untouched until the stream is synchronized, so callers synchronize before
/// returning to their callers.
/// </summary>
internal sealed unsafe class DeviceMemory<T> : IDisposable where T : unmanaged
{
    private ulong _pointer;

    public DeviceMemory(long count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        Count = count;
        ulong pointer;
        CudaDriver.Check(CudaDriverMethods.cuMemAlloc_v2(&pointer, checked((nuint)(count * sizeof(T)))));
        _pointer = pointer;
    }

    public long Count { get; }

    /// <summary>The device address of element <paramref name="index"/>.</summary>
    public nint At(long index)
    {
        ObjectDisposedException.ThrowIf(_pointer == 0, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((ulong)index, (ulong)Count);
        return (nint)(_pointer + (ulong)(index * sizeof(T)));
    }

    public void CopyFromHost(ReadOnlySpan<T> source, long offset, nint stream)
    {
        CheckRange(offset, source.Length);
        fixed (T* p = source)
        {
            CudaDriver.Check(CudaDriverMethods.cuMemcpyHtoDAsync_v2((ulong)At(offset), p, (nuint)(source.Length * sizeof(T)), stream));
        }
    }

    public void CopyToHost(Span<T> destination, long offset, nint stream)
    {
        CheckRange(offset, destination.Length);
        fixed (T* p = destination)
        {
            CudaDriver.Check(CudaDriverMethods.cuMemcpyDtoHAsync_v2(p, (ulong)At(offset), (nuint)(destination.Length * sizeof(T)), stream));
        }
    }

    /// <summary>Copies <paramref name="count"/> elements from <paramref name="source"/> device memory into this buffer.</summary>
    public void CopyFromDevice(nint source, long offset, long count, nint stream)
    {
        CheckRange(offset, count);
        CudaDriver.Check(CudaDriverMethods.cuMemcpyDtoDAsync_v2((ulong)At(offset), (ulong)source, (nuint)(count * sizeof(T)), stream));
    }

    public void Clear(nint stream) =>
        CudaDriver.Check(CudaDriverMethods.cuMemsetD8Async((ulong)At(0), 0, (nuint)(Count * sizeof(T)), stream));

    public void Dispose()
    {
        if (_pointer != 0)
        {
            _ = CudaDriverMethods.cuMemFree_v2(_pointer);
            _pointer = 0;
        }
    }

    private void CheckRange(long offset, long count)
    {
        if (offset < 0 || count < 0 || offset + count > Count)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Elements [{offset}, {offset + count}) are outside the buffer of {Count}.");
        }
    }
}
