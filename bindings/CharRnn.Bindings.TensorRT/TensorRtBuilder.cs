using CharRnn.Bindings.TensorRT.Handles;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Bindings.TensorRT;

/// <summary>TensorRT's <c>IBuilder</c>: creates networks and configs and builds serialized plans. Not thread-safe.</summary>
public sealed class TensorRtBuilder : IDisposable
{
    /// <summary>Creates a builder logging to <paramref name="logger"/> (which it keeps alive).</summary>
    public unsafe TensorRtBuilder(TensorRtLogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ObjectDisposedException.ThrowIf(logger.Handle.IsClosed, logger);
        nint created;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_builder_create(logger.Handle.DangerousGetHandle(), &created, (byte*)&error, ErrorBuffer.Size), ref error);
        Handle = new TrtBuilderHandle(created, logger.Handle);
    }

    internal TrtBuilderHandle Handle { get; }

    /// <summary>
    /// Creates an empty network. <paramref name="flags"/> are TensorRT's NetworkDefinitionCreationFlags: 0 (weakly
    /// typed in 10.x) or <c>1u &lt;&lt; 1</c> (kSTRONGLY_TYPED; TensorRT 11 networks are always strongly typed).
    /// </summary>
    public unsafe TensorRtNetwork CreateNetwork(uint flags = 0)
    {
        nint created;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_network_create(Live(), flags, &created, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtNetwork(new TrtNetworkHandle(created, Handle));
    }

    /// <summary>Creates a build configuration.</summary>
    public unsafe TensorRtBuilderConfig CreateConfig()
    {
        nint created;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_config_create(Live(), &created, (byte*)&error, ErrorBuffer.Size), ref error);
        return new TensorRtBuilderConfig(new TrtConfigHandle(created, Handle));
    }

    /// <summary>Builds and serializes <paramref name="network"/>: the plan bytes <see cref="TensorRtInferRuntime.DeserializeEngine"/> reads.</summary>
    public unsafe byte[] BuildSerializedNetwork(TensorRtNetwork network, TensorRtBuilderConfig config)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(config);
        ObjectDisposedException.ThrowIf(network.Handle.IsClosed, network);
        ObjectDisposedException.ThrowIf(config.Handle.IsClosed, config);
        nint plan;
        var error = new ErrorBuffer();
        ShimStatus.Check(NativeMethods.charrnn_trt_builder_build_serialized_network(Live(), network.Handle.DangerousGetHandle(), config.Handle.DangerousGetHandle(), &plan, (byte*)&error, ErrorBuffer.Size), ref error);
        using var memory = new TrtHostMemoryHandle(plan, null);
        void* data;
        ulong size;
        ShimStatus.Check(NativeMethods.charrnn_trt_host_memory_data(plan, &data, &size, (byte*)&error, ErrorBuffer.Size), ref error);
        if (size > (ulong)Array.MaxLength)
        {
            throw new TensorRtException(TensorRtStatus.TensorRtFailure, "buildSerializedNetwork", $"the plan is {size} bytes, more than a .NET array holds");
        }
        return new ReadOnlySpan<byte>(data, (int)size).ToArray();
    }

    /// <inheritdoc />
    public void Dispose() => Handle.Dispose();

    private nint Live()
    {
        ObjectDisposedException.ThrowIf(Handle.IsClosed, this);
        return Handle.DangerousGetHandle();
    }
}
