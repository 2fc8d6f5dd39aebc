using System.Runtime.InteropServices;
using CharRnn.Bindings.TensorRT;
using CharRnn.Bindings.TensorRT.Interop;

namespace CharRnn.Inference.Tests.TensorRT;

/// <summary>
/// Calls a really compiled shim through its C ABI, without TensorRT: the version exports, the status and message
/// protocol (caller buffer, truncation, cleared on success), null-handle checks and the logger's create/destroy.
/// Needs CHARRNN_TRT_SHIM_PATH pointing at a shim built by native/compile-check.sh (TensorRT's three entry points left
/// lazily unresolved); nothing here reaches TensorRT itself.
/// </summary>
[Category("NativeShim")]
public unsafe class ShimCallTests
{
    private nint _library;

    [OneTimeSetUp]
    public void Load()
    {
        string? path = Environment.GetEnvironmentVariable("CHARRNN_TRT_SHIM_PATH");
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            Assert.Ignore("Set CHARRNN_TRT_SHIM_PATH to a shim built by bindings/CharRnn.Bindings.TensorRT/native/compile-check.sh to run the shim ABI calls.");
        }
        _library = NativeLibrary.Load(path);
    }

    [OneTimeTearDown]
    public void Unload()
    {
        if (_library != 0)
        {
            NativeLibrary.Free(_library);
        }
    }

    private nint Export(string name) => NativeLibrary.GetExport(_library, name);

    [Test]
    public void Versions_are_the_bindings_ABI_and_TensorRT_10_or_11_headers()
    {
        int abi = ((delegate* unmanaged[Cdecl]<int>)Export("charrnn_trt_abi_version"))();
        var compiled = TensorRtVersion.FromEncoded(((delegate* unmanaged[Cdecl]<int>)Export("charrnn_trt_compiled_version"))());
        Assert.That(abi, Is.EqualTo(NativeMethods.AbiVersion));
        Assert.That(compiled.Major, Is.InRange(10, 11));
    }

    [Test]
    public void Null_handles_return_InvalidArgument_with_the_function_and_argument_named()
    {
        var create = (delegate* unmanaged[Cdecl]<nint, nint*, byte*, nuint, int>)Export("charrnn_trt_builder_create");
        nint builder = 42;
        var error = new ErrorBuffer();
        int status = create(0, &builder, (byte*)&error, ErrorBuffer.Size);
        Assert.That(status, Is.EqualTo((int)TensorRtStatus.InvalidArgument));
        TensorRtException? e = null;
        try
        {
            ShimStatus.Check(status, ref error, "NativeMethods.charrnn_trt_builder_create(logger, &builder, err, len)");
        }
        catch (TensorRtException thrown)
        {
            e = thrown;
        }
        Assert.That(e, Is.Not.Null);
        Assert.That(e!.Status, Is.EqualTo(TensorRtStatus.InvalidArgument));
        Assert.That(e.Call, Is.EqualTo("charrnn_trt_builder_create"));
        Assert.That(e.NativeMessage, Is.EqualTo("charrnn_trt_builder_create: logger is null"));
    }

    [Test]
    public void Messages_are_truncated_to_the_callers_buffer_and_never_written_without_one()
    {
        var enqueue = (delegate* unmanaged[Cdecl]<nint, nint, byte*, nuint, int>)Export("charrnn_trt_context_enqueue_v3");
        byte* small = stackalloc byte[12];
        new Span<byte>(small, 12).Fill((byte)'#');
        Assert.That(enqueue(0, 0, small, 10), Is.EqualTo((int)TensorRtStatus.InvalidArgument));
        Assert.That(Marshal.PtrToStringUTF8((nint)small), Is.EqualTo("charrnn_t"), "9 characters and the terminator");
        Assert.That(small[10], Is.EqualTo((byte)'#'), "nothing written past the given length");
        Assert.That(enqueue(0, 0, null, 0), Is.EqualTo((int)TensorRtStatus.InvalidArgument), "no buffer is fine");
    }

    [Test]
    public void Success_clears_the_message_and_the_logger_is_created_and_destroyed()
    {
        var create = (delegate* unmanaged[Cdecl]<nint, nint, int, nint*, byte*, nuint, int>)Export("charrnn_trt_logger_create");
        var destroy = (delegate* unmanaged[Cdecl]<nint, void>)Export("charrnn_trt_logger_destroy");
        var error = new ErrorBuffer();
        ((Span<byte>)error).Fill((byte)'x');
        nint logger;
        Assert.That(create(0, 0, 2, &logger, (byte*)&error, ErrorBuffer.Size), Is.EqualTo((int)TensorRtStatus.Ok));
        Assert.That(logger, Is.Not.Zero);
        Assert.That(error[0], Is.Zero, "the message is empty after success");
        destroy(logger);
        Assert.That(create(0, 0, 2, null, (byte*)&error, ErrorBuffer.Size), Is.EqualTo((int)TensorRtStatus.InvalidArgument));
    }

    [TestCase("charrnn_trt_logger_destroy")]
    [TestCase("charrnn_trt_builder_destroy")]
    [TestCase("charrnn_trt_network_destroy")]
    [TestCase("charrnn_trt_config_destroy")]
    [TestCase("charrnn_trt_host_memory_destroy")]
    [TestCase("charrnn_trt_runtime_destroy")]
    [TestCase("charrnn_trt_engine_destroy")]
    [TestCase("charrnn_trt_context_destroy")]
    public void Destroying_null_is_a_no_op(string function)
    {
        ((delegate* unmanaged[Cdecl]<nint, void>)Export(function))(0);
        Assert.Pass();
    }

    [Test]
    public void Every_layer_call_checks_its_network_and_outputs()
    {
        var error = new ErrorBuffer();
        var status = new Dictionary<string, int>
        {
            ["add_topk"] = ((delegate* unmanaged[Cdecl]<nint, nint, int, int, uint, int, nint*, nint*, byte*, nuint, int>)Export("charrnn_trt_network_add_topk"))(0, 0, 0, 1, 2, 3, null, null, (byte*)&error, ErrorBuffer.Size),
            ["add_loop"] = ((delegate* unmanaged[Cdecl]<nint, nint*, byte*, nuint, int>)Export("charrnn_trt_network_add_loop"))(0, null, (byte*)&error, ErrorBuffer.Size),
            ["loop_add_output"] = ((delegate* unmanaged[Cdecl]<nint, nint, int, int, nint, nint*, byte*, nuint, int>)Export("charrnn_trt_loop_add_output"))(0, 0, 0, 0, 0, null, (byte*)&error, ErrorBuffer.Size),
            ["recurrence_set_next"] = ((delegate* unmanaged[Cdecl]<nint, nint, byte*, nuint, int>)Export("charrnn_trt_recurrence_set_next"))(0, 0, (byte*)&error, ErrorBuffer.Size),
            ["deserialize"] = ((delegate* unmanaged[Cdecl]<nint, void*, ulong, nint*, byte*, nuint, int>)Export("charrnn_trt_runtime_deserialize_engine"))(0, null, 0, null, (byte*)&error, ErrorBuffer.Size),
            ["set_tensor_address"] = ((delegate* unmanaged[Cdecl]<nint, byte*, nint, byte*, nuint, int>)Export("charrnn_trt_context_set_tensor_address"))(0, null, 0, (byte*)&error, ErrorBuffer.Size),
        };
        Assert.That(status.Values, Is.All.EqualTo((int)TensorRtStatus.InvalidArgument), string.Join(", ", status));
    }
}
