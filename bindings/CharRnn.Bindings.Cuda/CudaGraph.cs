using static CharRnn.Bindings.Cuda.CudaDriver;

namespace CharRnn.Bindings.Cuda;

/// <summary>
/// Device work captured once from a stream and replayed with one launch (an instantiated CUDA graph): a sequence of
/// small kernels costs one launch instead of one each. Replays of one graph run one after the other (even on different
/// streams), each exactly the work and kernel parameters captured.
/// </summary>
public sealed unsafe class CudaGraph : IDisposable
{
    // CU_STREAM_CAPTURE_MODE_THREAD_LOCAL: only this thread's unsafe calls (a synchronization, say) end the capture.
    private const int ThreadLocalCapture = 1;

    private readonly CudaContext _context;
    private readonly SafeCudaGraphExecHandle _exec;

    private CudaGraph(CudaContext context, nint exec, int nodeCount)
    {
        _context = context;
        _exec = new SafeCudaGraphExecHandle(context.Handle, exec);
        NodeCount = nodeCount;
    }

    /// <summary>Operations in the graph (kernel launches, copies, memsets).</summary>
    public int NodeCount { get; }

    /// <summary>
    /// Captures what <paramref name="record"/> queues on <paramref name="stream"/> (nothing runs then) and instantiates
    /// it. If <paramref name="record"/> throws, or queues something a capture cannot hold (a synchronization or a host
    /// copy), the capture is abandoned, the stream returns to normal and the error is thrown (a
    /// <see cref="CudaException"/> for the latter).
    /// </summary>
    public static CudaGraph Capture(CudaStream stream, Action<CudaStream> record)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(record);
        var context = stream.Context;
        context.MakeCurrent();
        Check(CudaDriverNative.cuStreamBeginCapture(stream.Handle, ThreadLocalCapture));
        nint graph = 0;
        try
        {
            record(stream);
        }
        catch
        {
            // Leave capture mode; the partial graph (if any) is discarded.
            if (CudaDriverNative.cuStreamEndCapture(stream.Handle, &graph) == CuResult.CUDA_SUCCESS && graph != 0)
            {
                CudaDriverNative.cuGraphDestroy(graph);
            }
            throw;
        }
        Check(CudaDriverNative.cuStreamEndCapture(stream.Handle, &graph));
        try
        {
            nuint count = 0;
            Check(CudaDriverNative.cuGraphGetNodes(graph, null, &count));
            nint exec = 0;
            Check(CudaDriverNative.cuGraphInstantiateWithFlags(&exec, graph, 0));
            return new CudaGraph(context, exec, checked((int)count));
        }
        finally
        {
            // The instantiated graph does not need its template.
            CudaDriverNative.cuGraphDestroy(graph);
        }
    }

    /// <summary>Queues one replay of the captured work on <paramref name="stream"/>.</summary>
    public void Launch(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ObjectDisposedException.ThrowIf(_exec.IsClosed, this);
        _context.MakeCurrent();
        Check(CudaDriverNative.cuGraphLaunch(_exec.DangerousGetHandle(), stream.Handle));
    }

    /// <inheritdoc />
    public void Dispose() => _exec.Dispose();
}
