using System.Runtime.InteropServices;

namespace CharRnn.Bindings.TensorRT.Interop;

/// <summary>
/// The exports of the shim (native/charrnn_trt.h), one method per C function with its signature beside it. Handles
/// are raw pointers here; <see cref="Handles"/> wraps them. Every fallible function returns a
/// <see cref="TensorRtStatus"/> and writes a message into <c>err</c> (a caller buffer of <c>errLength</c> bytes).
/// </summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>The shim's library name: libcharrnn_trt.so / charrnn_trt.dll.</summary>
    public const string Library = "charrnn_trt";

    /// <summary>CHARRNN_TRT_ABI_VERSION of the header these declarations were written from.</summary>
    public const int AbiVersion = 1;

    // int32_t charrnn_trt_abi_version(void)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_abi_version();

    // int32_t charrnn_trt_compiled_version(void)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_compiled_version();

    // charrnn_trt_status charrnn_trt_get_infer_lib_version(int32_t* version, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_get_infer_lib_version(int* version, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_logger_create(charrnn_trt_log_callback callback, void* user_data, int32_t min_severity, charrnn_trt_logger** logger, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_logger_create(delegate* unmanaged[Cdecl]<int, byte*, void*, void> callback, void* userData, int minSeverity, nint* logger, byte* err, nuint errLength);

    // void charrnn_trt_logger_destroy(charrnn_trt_logger* logger)
    [LibraryImport(Library)]
    public static partial void charrnn_trt_logger_destroy(nint logger);

    // charrnn_trt_status charrnn_trt_builder_create(charrnn_trt_logger* logger, charrnn_trt_builder** builder, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_builder_create(nint logger, nint* builder, byte* err, nuint errLength);

    // void charrnn_trt_builder_destroy(charrnn_trt_builder* builder)
    [LibraryImport(Library)]
    public static partial void charrnn_trt_builder_destroy(nint builder);

    // charrnn_trt_status charrnn_trt_network_create(charrnn_trt_builder* builder, uint32_t flags, charrnn_trt_network** network, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_create(nint builder, uint flags, nint* network, byte* err, nuint errLength);

    // void charrnn_trt_network_destroy(charrnn_trt_network* network)
    [LibraryImport(Library)]
    public static partial void charrnn_trt_network_destroy(nint network);

    // charrnn_trt_status charrnn_trt_config_create(charrnn_trt_builder* builder, charrnn_trt_config** config, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_config_create(nint builder, nint* config, byte* err, nuint errLength);

    // void charrnn_trt_config_destroy(charrnn_trt_config* config)
    [LibraryImport(Library)]
    public static partial void charrnn_trt_config_destroy(nint config);

    // charrnn_trt_status charrnn_trt_config_set_tf32(charrnn_trt_config* config, int32_t enabled, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_config_set_tf32(nint config, int enabled, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_add_input(charrnn_trt_network* network, const char* name, int32_t data_type, const charrnn_trt_dims* dims, charrnn_trt_tensor** tensor, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_add_input(nint network, byte* name, int dataType, TrtDimsNative* dims, nint* tensor, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_mark_output(charrnn_trt_network* network, charrnn_trt_tensor* tensor, const char* name, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_mark_output(nint network, nint tensor, byte* name, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_add_constant(charrnn_trt_network* network, const charrnn_trt_dims* dims, const charrnn_trt_weights* weights, charrnn_trt_tensor** output, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_add_constant(nint network, TrtDimsNative* dims, TrtWeightsNative* weights, nint* output, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_add_matrix_multiply(charrnn_trt_network* network, charrnn_trt_tensor* a, int32_t op_a, charrnn_trt_tensor* b, int32_t op_b, charrnn_trt_tensor** output, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_add_matrix_multiply(nint network, nint a, int opA, nint b, int opB, nint* output, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_add_elementwise(charrnn_trt_network* network, charrnn_trt_tensor* a, charrnn_trt_tensor* b, int32_t op, charrnn_trt_tensor** output, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_add_elementwise(nint network, nint a, nint b, int op, nint* output, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_add_gather(charrnn_trt_network* network, charrnn_trt_tensor* data, charrnn_trt_tensor* indices, int32_t axis, charrnn_trt_tensor** output, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_add_gather(nint network, nint data, nint indices, int axis, nint* output, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_add_slice(charrnn_trt_network* network, charrnn_trt_tensor* input, const charrnn_trt_dims* start, const charrnn_trt_dims* size, const charrnn_trt_dims* stride, charrnn_trt_tensor** output, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_add_slice(nint network, nint input, TrtDimsNative* start, TrtDimsNative* size, TrtDimsNative* stride, nint* output, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_add_reshape(charrnn_trt_network* network, charrnn_trt_tensor* input, const charrnn_trt_dims* dims, charrnn_trt_tensor** output, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_add_reshape(nint network, nint input, TrtDimsNative* dims, nint* output, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_add_activation(charrnn_trt_network* network, charrnn_trt_tensor* input, int32_t type, charrnn_trt_tensor** output, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_add_activation(nint network, nint input, int type, nint* output, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_add_topk(charrnn_trt_network* network, charrnn_trt_tensor* input, int32_t op, int32_t k, uint32_t reduce_axes, int32_t indices_type, charrnn_trt_tensor** values, charrnn_trt_tensor** indices, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_add_topk(nint network, nint input, int op, int k, uint reduceAxes, int indicesType, nint* values, nint* indices, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_network_add_loop(charrnn_trt_network* network, charrnn_trt_loop** loop, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_network_add_loop(nint network, nint* loop, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_loop_add_trip_limit_count(charrnn_trt_loop* loop, charrnn_trt_tensor* count, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_loop_add_trip_limit_count(nint loop, nint count, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_loop_add_iterator(charrnn_trt_loop* loop, charrnn_trt_tensor* input, int32_t axis, int32_t reverse, charrnn_trt_tensor** output, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_loop_add_iterator(nint loop, nint input, int axis, int reverse, nint* output, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_loop_add_recurrence(charrnn_trt_loop* loop, charrnn_trt_tensor* initial, charrnn_trt_layer** recurrence, charrnn_trt_tensor** output, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_loop_add_recurrence(nint loop, nint initial, nint* recurrence, nint* output, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_recurrence_set_next(charrnn_trt_layer* recurrence, charrnn_trt_tensor* next, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_recurrence_set_next(nint recurrence, nint next, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_loop_add_output(charrnn_trt_loop* loop, charrnn_trt_tensor* value, int32_t kind, int32_t axis, charrnn_trt_tensor* length, charrnn_trt_tensor** output, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_loop_add_output(nint loop, nint value, int kind, int axis, nint length, nint* output, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_builder_build_serialized_network(charrnn_trt_builder* builder, charrnn_trt_network* network, charrnn_trt_config* config, charrnn_trt_host_memory** plan, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_builder_build_serialized_network(nint builder, nint network, nint config, nint* plan, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_host_memory_data(charrnn_trt_host_memory* memory, const void** data, uint64_t* size, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_host_memory_data(nint memory, void** data, ulong* size, byte* err, nuint errLength);

    // void charrnn_trt_host_memory_destroy(charrnn_trt_host_memory* memory)
    [LibraryImport(Library)]
    public static partial void charrnn_trt_host_memory_destroy(nint memory);

    // charrnn_trt_status charrnn_trt_runtime_create(charrnn_trt_logger* logger, charrnn_trt_runtime** runtime, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_runtime_create(nint logger, nint* runtime, byte* err, nuint errLength);

    // void charrnn_trt_runtime_destroy(charrnn_trt_runtime* runtime)
    [LibraryImport(Library)]
    public static partial void charrnn_trt_runtime_destroy(nint runtime);

    // charrnn_trt_status charrnn_trt_runtime_deserialize_engine(charrnn_trt_runtime* runtime, const void* plan, uint64_t size, charrnn_trt_engine** engine, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_runtime_deserialize_engine(nint runtime, void* plan, ulong size, nint* engine, byte* err, nuint errLength);

    // void charrnn_trt_engine_destroy(charrnn_trt_engine* engine)
    [LibraryImport(Library)]
    public static partial void charrnn_trt_engine_destroy(nint engine);

    // charrnn_trt_status charrnn_trt_context_create(charrnn_trt_engine* engine, charrnn_trt_context** context, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_context_create(nint engine, nint* context, byte* err, nuint errLength);

    // void charrnn_trt_context_destroy(charrnn_trt_context* context)
    [LibraryImport(Library)]
    public static partial void charrnn_trt_context_destroy(nint context);

    // charrnn_trt_status charrnn_trt_context_set_tensor_address(charrnn_trt_context* context, const char* name, void* address, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_context_set_tensor_address(nint context, byte* name, nint address, byte* err, nuint errLength);

    // charrnn_trt_status charrnn_trt_context_enqueue_v3(charrnn_trt_context* context, void* stream, char* err, size_t err_len)
    [LibraryImport(Library)]
    public static partial int charrnn_trt_context_enqueue_v3(nint context, nint stream, byte* err, nuint errLength);
}
