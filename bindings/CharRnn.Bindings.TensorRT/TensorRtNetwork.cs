using System.Runtime.InteropServices;
using CharRnn.Bindings.TensorRT.Handles;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT;

/// <summary>
/// TensorRT's <c>INetworkDefinition</c>: the layers the seed's network needs. Tensors, loops and recurrences belong to
/// the network. Constant data is copied into native memory owned by the network (TensorRT reads it only when the
/// network is built), so callers may reuse their arrays at once. Not thread-safe.
/// </summary>
public sealed unsafe class TensorRtNetwork : IDisposable
{
    private readonly List<nint> _constants = [];

    internal TensorRtNetwork(TrtNetworkHandle handle) => Handle = handle;

    internal TrtNetworkHandle Handle { get; }

    /// <summary>Adds a network input.</summary>
    public TensorRtTensor AddInput(string name, TensorRtDataType type, ReadOnlySpan<long> shape)
    {
        var dims = TrtDimsNative.From(shape);
        nint output;
        var error = new ErrorBuffer();
        fixed (byte* n = Utf8Name.Of(name))
        {
            ShimStatus.Check(NativeMethods.charrnn_trt_network_add_input(Live(), n, (int)type, &dims, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        }
        return new TensorRtTensor(output);
    }

    /// <summary>Names <paramref name="tensor"/> and marks it as a network output.</summary>
    public void MarkOutput(TensorRtTensor tensor, string name)
    {
        var error = new ErrorBuffer();
        fixed (byte* n = Utf8Name.Of(name))
        {
            ShimStatus.Check(NativeMethods.charrnn_trt_network_mark_output(Live(), tensor.Handle, n, (byte*)&error, ErrorBuffer.Size), ref error);
        }
    }

    /// <summary>Adds a float32 constant of <paramref name="shape"/>.</summary>
    public TensorRtTensor AddConstant(ReadOnlySpan<long> shape, ReadOnlySpan<float> values) =>
        AddConstant(shape, TensorRtDataType.Float, MemoryMarshal.AsBytes(values), values.Length);

    /// <summary>Adds an int32 constant of <paramref name="shape"/> (a 0-D shape for a scalar such as a trip count).</summary>
    public TensorRtTensor AddConstant(ReadOnlySpan<long> shape, ReadOnlySpan<int> values) =>
        AddConstant(shape, TensorRtDataType.Int32, MemoryMarshal.AsBytes(values), values.Length);

    /// <summary>Adds <c>op(a) x op(b)</c>.</summary>
    public TensorRtTensor AddMatrixMultiply(TensorRtTensor a, MatrixOperation opA, TensorRtTensor b, MatrixOperation opB)
    {
        nint output;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_network_add_matrix_multiply(Live(), a.Handle, (int)opA, b.Handle, (int)opB, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtTensor(output);
    }

    /// <summary>Adds an element-wise operation (with TensorRT's broadcasting over extents of 1).</summary>
    public TensorRtTensor AddElementWise(TensorRtTensor a, TensorRtTensor b, ElementWiseOperation op)
    {
        nint output;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_network_add_elementwise(Live(), a.Handle, b.Handle, (int)op, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtTensor(output);
    }

    /// <summary>Adds a gather of <paramref name="data"/> rows selected by <paramref name="indices"/> along <paramref name="axis"/>.</summary>
    public TensorRtTensor AddGather(TensorRtTensor data, TensorRtTensor indices, int axis)
    {
        nint output;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_network_add_gather(Live(), data.Handle, indices.Handle, axis, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtTensor(output);
    }

    /// <summary>Adds a slice.</summary>
    public TensorRtTensor AddSlice(TensorRtTensor input, ReadOnlySpan<long> start, ReadOnlySpan<long> size, ReadOnlySpan<long> stride)
    {
        var s = TrtDimsNative.From(start);
        var n = TrtDimsNative.From(size);
        var t = TrtDimsNative.From(stride);
        nint output;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_network_add_slice(Live(), input.Handle, &s, &n, &t, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtTensor(output);
    }

    /// <summary>Adds a shuffle layer that only reshapes.</summary>
    public TensorRtTensor AddReshape(TensorRtTensor input, ReadOnlySpan<long> shape)
    {
        var dims = TrtDimsNative.From(shape);
        nint output;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_network_add_reshape(Live(), input.Handle, &dims, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtTensor(output);
    }

    /// <summary>Adds an activation.</summary>
    public TensorRtTensor AddActivation(TensorRtTensor input, ActivationType type)
    {
        nint output;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_network_add_activation(Live(), input.Handle, (int)type, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtTensor(output);
    }

    /// <summary>
    /// Adds TopK over the axes in <paramref name="reduceAxes"/> (a bit mask). <paramref name="indicesType"/> is
    /// honoured by shims built against TensorRT 10.14 or newer; older ones accept only <see cref="TensorRtDataType.Int32"/>.
    /// </summary>
    public (TensorRtTensor Values, TensorRtTensor Indices) AddTopK(TensorRtTensor input, TopKOperation op, int k, uint reduceAxes, TensorRtDataType indicesType)
    {
        nint values, indices;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_network_add_topk(Live(), input.Handle, (int)op, k, reduceAxes, (int)indicesType, &values, &indices, (byte*)&error, ErrorBuffer.Size), ref error);
        return (new TensorRtTensor(values), new TensorRtTensor(indices));
    }

    /// <summary>Adds an <c>ILoop</c>.</summary>
    public TensorRtLoop AddLoop()
    {
        nint loop;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_network_add_loop(Live(), &loop, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtLoop(loop);
    }

    /// <summary>Limits <paramref name="loop"/> to <paramref name="count"/> iterations (TripLimit::kCOUNT; a 0-D int32 computed outside the loop).</summary>
    public void AddTripLimitCount(TensorRtLoop loop, TensorRtTensor count)
    {
        _ = Live();
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_loop_add_trip_limit_count(loop.Handle, count.Handle, (byte*)&error, ErrorBuffer.Size), ref error);
    }

    /// <summary>Adds an iterator: each iteration sees the next slice of <paramref name="input"/> along <paramref name="axis"/>.</summary>
    public TensorRtTensor AddIterator(TensorRtLoop loop, TensorRtTensor input, int axis, bool reverse = false)
    {
        _ = Live();
        nint output;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_loop_add_iterator(loop.Handle, input.Handle, axis, reverse ? 1 : 0, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtTensor(output);
    }

    /// <summary>Adds a recurrence starting at <paramref name="initial"/>.</summary>
    public TensorRtRecurrence AddRecurrence(TensorRtLoop loop, TensorRtTensor initial)
    {
        _ = Live();
        nint layer, output;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_loop_add_recurrence(loop.Handle, initial.Handle, &layer, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtRecurrence(layer, new TensorRtTensor(output));
    }

    /// <summary>Sets the value a recurrence takes on the next iteration (<c>IRecurrenceLayer::setInput(1, next)</c>).</summary>
    public void SetRecurrenceNext(TensorRtRecurrence recurrence, TensorRtTensor next)
    {
        _ = Live();
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_recurrence_set_next(recurrence.Layer, next.Handle, (byte*)&error, ErrorBuffer.Size), ref error);
    }

    /// <summary>
    /// Adds a loop output. <paramref name="length"/> (a 0-D int32 computed outside the loop) is required for
    /// <see cref="LoopOutputKind.Concatenate"/> and <see cref="LoopOutputKind.Reverse"/> and must be null for
    /// <see cref="LoopOutputKind.LastValue"/>.
    /// </summary>
    public TensorRtTensor AddLoopOutput(TensorRtLoop loop, TensorRtTensor value, LoopOutputKind kind, int axis = 0, TensorRtTensor? length = null)
    {
        _ = Live();
        nint output;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_loop_add_output(loop.Handle, value.Handle, (int)kind, axis, length?.Handle ?? 0, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtTensor(output);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Handle.Dispose();
        foreach (nint constant in _constants)
        {
            NativeMemory.Free((void*)constant);
        }
        _constants.Clear();
    }

    private TensorRtTensor AddConstant(ReadOnlySpan<long> shape, TensorRtDataType type, ReadOnlySpan<byte> bytes, int count)
    {
        var dims = TrtDimsNative.From(shape);
        nint network = Live();
        void* copy = NativeMemory.Alloc((nuint)Math.Max(bytes.Length, 1));
        _constants.Add((nint)copy);
        bytes.CopyTo(new Span<byte>(copy, bytes.Length));
        var weights = new TrtWeightsNative { DataType = (int)type, Values = copy, Count = count };
        nint output;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_network_add_constant(network, &dims, &weights, &output, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtTensor(output);
    }

    private nint Live()
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        return Handle.DangerousGetHandle();
    }
}
