using static CharRnn.Bindings.Cuda.CudaDriver;

namespace CharRnn.Bindings.Cuda;

/// <summary>
/// A typed block of device memory. Copies name whether they synchronize: the <c>...Async</c> ones are ordered on the
/// given stream and the host span must stay unchanged (and alive) until the stream is synchronized. Not thread-safe.
/// </summary>
public sealed unsafe class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private readonly CudaContext _context;
    private readonly SafeDeviceMemoryHandle _handle;

    internal DeviceBuffer(CudaContext context, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _context = context;
        Length = count;
        long bytes;
        try
        {
            bytes = checked(Math.Max(1, count) * sizeof(T));
        }
        catch (OverflowException)
        {
            throw CreateException(CuResult.CUDA_ERROR_OUT_OF_MEMORY, $"cuMemAlloc_v2({count} x {sizeof(T)} bytes)");
        }
        context.MakeCurrent();
        ulong pointer = 0;
        var result = CudaDriverNative.cuMemAlloc(&pointer, (nuint)bytes);
        if (result != CuResult.CUDA_SUCCESS)
        {
            throw CreateException(result, $"cuMemAlloc_v2({bytes} bytes)");
        }
        _handle = new SafeDeviceMemoryHandle(context.Handle, (nint)pointer);
    }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>Size in bytes.</summary>
    public long ByteLength => Length * sizeof(T);

    /// <summary>The device address (for kernel arguments).</summary>
    public ulong Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return (ulong)_handle.DangerousGetHandle();
        }
    }

    /// <summary>The device address of element <paramref name="index"/>.</summary>
    public ulong PointerAt(long index) => Pointer + (ulong)(index * sizeof(T));

    /// <summary>Copies host data to elements starting at <paramref name="offset"/> and waits for the copy.</summary>
    public void CopyFrom(ReadOnlySpan<T> source, CudaStream stream, long offset = 0)
    {
        CopyFromAsync(source, stream, offset);
        stream.Synchronize();
    }

    /// <summary>Queues a host-to-device copy; <paramref name="source"/> must stay pinned until the stream is synchronized.</summary>
    public void CopyFromAsync(ReadOnlySpan<T> source, CudaStream stream, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(offset, source.Length);
        if (source.IsEmpty)
        {
            return;
        }
        _context.MakeCurrent();
        fixed (T* s = source)
        {
            Check(CudaDriverNative.cuMemcpyHtoDAsync(PointerAt(offset), s, (nuint)(source.Length * sizeof(T)), stream.Handle));
        }
    }

    /// <summary>
    /// Queues a device-to-device copy of <paramref name="count"/> elements of <paramref name="source"/>, starting at
    /// <paramref name="sourceOffset"/>, to this buffer's elements starting at <paramref name="offset"/>. Both buffers
    /// must belong to the stream's context.
    /// </summary>
    public void CopyFromAsync(DeviceBuffer<T> source, long sourceOffset, long count, CudaStream stream, long offset)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        source.CheckRange(sourceOffset, count);
        CheckRange(offset, count);
        if (count == 0)
        {
            return;
        }
        _context.MakeCurrent();
        Check(CudaDriverNative.cuMemcpyDtoDAsync(PointerAt(offset), source.PointerAt(sourceOffset), (nuint)(count * sizeof(T)), stream.Handle));
    }

    /// <summary>Copies elements starting at <paramref name="offset"/> to the host and waits for the copy.</summary>
    public void CopyTo(Span<T> destination, CudaStream stream, long offset = 0)
    {
        ArgumentNullException.ThrowIfNull(stream);
        CheckRange(offset, destination.Length);
        if (destination.IsEmpty)
        {
            return;
        }
        _context.MakeCurrent();
        fixed (T* d = destination)
        {
            Check(CudaDriverNative.cuMemcpyDtoHAsync(d, PointerAt(offset), (nuint)(destination.Length * sizeof(T)), stream.Handle));
            stream.Synchronize();
        }
    }

    /// <summary>Queues setting every element's bytes to zero.</summary>
    public void ClearAsync(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (ByteLength % 4 != 0)
        {
            throw new InvalidOperationException("ClearAsync needs a whole number of 32-bit words.");
        }
        _context.MakeCurrent();
        Check(CudaDriverNative.cuMemsetD32Async(Pointer, 0, (nuint)(ByteLength / 4), stream.Handle));
    }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    private void CheckRange(long offset, long count)
    {
        if (offset < 0 || offset + count > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Elements [{offset}, {offset + count}) are outside the buffer of {Length}.");
        }
    }
}
