/*
 * charrnn_trt: a flat C API over the parts of TensorRT 10 that CharRnn.Inference uses.
 *
 * TensorRT has no C API (only C++ virtual classes), so .NET reaches it through this shim. The shape follows
 * onnxruntime-genai's ort_genai_c.h:
 *   - every object is an opaque handle, created by a *_create / builder call and released by exactly one *_destroy;
 *     layers, tensors and loops belong to their network and are never destroyed on their own;
 *   - every fallible call returns a charrnn_trt_status; on failure a message is written into the caller's buffer
 *     (always NUL-terminated and truncated to fit; never allocated by the shim, so nothing leaks);
 *   - no C++ exception leaves the shim (every export catches std::exception and ...);
 *   - the logger callback is called from TensorRT's threads; it must not throw (a C function cannot).
 *
 * Thread-safety is TensorRT's: a builder, network or execution context is used by one thread at a time; an engine
 * and a runtime may be shared.
 */
#ifndef CHARRNN_TRT_H
#define CHARRNN_TRT_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define CHARRNN_TRT_EXPORT __declspec(dllexport)
#define CHARRNN_TRT_CALL __cdecl
#else
#define CHARRNN_TRT_EXPORT __attribute__((visibility("default")))
#define CHARRNN_TRT_CALL
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a signature, a struct or an enum value below changes. The managed side refuses other versions. */
#define CHARRNN_TRT_ABI_VERSION 1

typedef enum charrnn_trt_status {
    CHARRNN_TRT_OK = 0,
    CHARRNN_TRT_INVALID_ARGUMENT = 1, /* a null handle or pointer, a negative size, an unknown enum value */
    CHARRNN_TRT_TENSORRT_FAILURE = 2, /* TensorRT returned null/false; the message carries its last logged error */
    CHARRNN_TRT_EXCEPTION = 3,        /* a std::exception was caught; the message is its what() */
    CHARRNN_TRT_UNKNOWN_EXCEPTION = 4 /* something other than a std::exception was thrown */
} charrnn_trt_status;

/* nvinfer1::ILogger::Severity values (kINTERNAL_ERROR = 0 ... kVERBOSE = 4). */
typedef void(CHARRNN_TRT_CALL* charrnn_trt_log_callback)(int32_t severity, const char* message, void* user_data);

/* Mirrors nvinfer1::Dims64: up to 8 extents; -1 marks a dimension fixed at run time. 72 bytes. */
#define CHARRNN_TRT_MAX_DIMS 8
typedef struct charrnn_trt_dims {
    int32_t nb_dims;
    int32_t reserved; /* padding made explicit so both sides agree on the layout; must be 0 */
    int64_t d[CHARRNN_TRT_MAX_DIMS];
} charrnn_trt_dims;

/* Constant data for charrnn_trt_network_add_constant; TensorRT copies nothing until the build, so the caller keeps
   `values` alive until charrnn_trt_builder_build_serialized_network returns. 24 bytes. */
typedef struct charrnn_trt_weights {
    int32_t data_type; /* nvinfer1::DataType: 0 kFLOAT, 3 kINT32 */
    int32_t reserved;  /* must be 0 */
    const void* values;
    int64_t count;
} charrnn_trt_weights;

typedef struct charrnn_trt_logger charrnn_trt_logger;
typedef struct charrnn_trt_builder charrnn_trt_builder;
typedef struct charrnn_trt_network charrnn_trt_network;
typedef struct charrnn_trt_config charrnn_trt_config;
typedef struct charrnn_trt_host_memory charrnn_trt_host_memory;
typedef struct charrnn_trt_runtime charrnn_trt_runtime;
typedef struct charrnn_trt_engine charrnn_trt_engine;
typedef struct charrnn_trt_context charrnn_trt_context;
/* Owned by their network: */
typedef struct charrnn_trt_tensor charrnn_trt_tensor;
typedef struct charrnn_trt_layer charrnn_trt_layer;
typedef struct charrnn_trt_loop charrnn_trt_loop;

/* ---- versions ---- */
CHARRNN_TRT_EXPORT int32_t CHARRNN_TRT_CALL charrnn_trt_abi_version(void);
/* NV_TENSORRT_VERSION of the headers the shim was compiled against (10.16.0 -> 101600). The loaded library must be the
   same major and at least this version: TensorRT is forward compatible within a major version only. */
CHARRNN_TRT_EXPORT int32_t CHARRNN_TRT_CALL charrnn_trt_compiled_version(void);
/* getInferLibVersion() of the loaded libnvinfer. */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_get_infer_lib_version(int32_t* version, char* err, size_t err_len);

/* ---- logger ---- */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_logger_create(charrnn_trt_log_callback callback, void* user_data, int32_t min_severity, charrnn_trt_logger** logger, char* err, size_t err_len);
/* Must outlive every builder and runtime created with it. */
CHARRNN_TRT_EXPORT void CHARRNN_TRT_CALL charrnn_trt_logger_destroy(charrnn_trt_logger* logger);

/* ---- builder, network, config ---- */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_builder_create(charrnn_trt_logger* logger, charrnn_trt_builder** builder, char* err, size_t err_len);
CHARRNN_TRT_EXPORT void CHARRNN_TRT_CALL charrnn_trt_builder_destroy(charrnn_trt_builder* builder);
/* flags: nvinfer1::NetworkDefinitionCreationFlags (0, or 1u << kSTRONGLY_TYPED). */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_create(charrnn_trt_builder* builder, uint32_t flags, charrnn_trt_network** network, char* err, size_t err_len);
CHARRNN_TRT_EXPORT void CHARRNN_TRT_CALL charrnn_trt_network_destroy(charrnn_trt_network* network);
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_config_create(charrnn_trt_builder* builder, charrnn_trt_config** config, char* err, size_t err_len);
CHARRNN_TRT_EXPORT void CHARRNN_TRT_CALL charrnn_trt_config_destroy(charrnn_trt_config* config);
/* Allows or forbids TF32 matrix multiplies (BuilderFlag::kTF32, on by default in TensorRT). */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_config_set_tf32(charrnn_trt_config* config, int32_t enabled, char* err, size_t err_len);

/* ---- network layers (outputs belong to the network) ---- */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_input(charrnn_trt_network* network, const char* name, int32_t data_type, const charrnn_trt_dims* dims, charrnn_trt_tensor** tensor, char* err, size_t err_len);
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_mark_output(charrnn_trt_network* network, charrnn_trt_tensor* tensor, const char* name, char* err, size_t err_len);
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_constant(charrnn_trt_network* network, const charrnn_trt_dims* dims, const charrnn_trt_weights* weights, charrnn_trt_tensor** output, char* err, size_t err_len);
/* op: MatrixOperation kNONE = 0, kTRANSPOSE = 1, kVECTOR = 2. */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_matrix_multiply(charrnn_trt_network* network, charrnn_trt_tensor* a, int32_t op_a, charrnn_trt_tensor* b, int32_t op_b, charrnn_trt_tensor** output, char* err, size_t err_len);
/* op: ElementWiseOperation (kSUM = 0, kPROD = 1, ...). */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_elementwise(charrnn_trt_network* network, charrnn_trt_tensor* a, charrnn_trt_tensor* b, int32_t op, charrnn_trt_tensor** output, char* err, size_t err_len);
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_gather(charrnn_trt_network* network, charrnn_trt_tensor* data, charrnn_trt_tensor* indices, int32_t axis, charrnn_trt_tensor** output, char* err, size_t err_len);
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_slice(charrnn_trt_network* network, charrnn_trt_tensor* input, const charrnn_trt_dims* start, const charrnn_trt_dims* size, const charrnn_trt_dims* stride, charrnn_trt_tensor** output, char* err, size_t err_len);
/* A shuffle that only reshapes (no transposes). */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_reshape(charrnn_trt_network* network, charrnn_trt_tensor* input, const charrnn_trt_dims* dims, charrnn_trt_tensor** output, char* err, size_t err_len);
/* type: ActivationType (kRELU = 0, kSIGMOID = 1, kTANH = 2, ...). */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_activation(charrnn_trt_network* network, charrnn_trt_tensor* input, int32_t type, charrnn_trt_tensor** output, char* err, size_t err_len);
/* op: TopKOperation kMAX = 0, kMIN = 1; reduce_axes: bit mask; indices_type: DataType kINT32 = 3 or kINT64 = 8
   (TensorRT < 10.14 only produces kINT32 and rejects kINT64). */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_topk(charrnn_trt_network* network, charrnn_trt_tensor* input, int32_t op, int32_t k, uint32_t reduce_axes, int32_t indices_type, charrnn_trt_tensor** values, charrnn_trt_tensor** indices, char* err, size_t err_len);

/* ---- loops (ILoop) ---- */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_loop(charrnn_trt_network* network, charrnn_trt_loop** loop, char* err, size_t err_len);
/* TripLimit::kCOUNT with a 0-D int32 tensor computed before the loop. */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_loop_add_trip_limit_count(charrnn_trt_loop* loop, charrnn_trt_tensor* count, char* err, size_t err_len);
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_loop_add_iterator(charrnn_trt_loop* loop, charrnn_trt_tensor* input, int32_t axis, int32_t reverse, charrnn_trt_tensor** output, char* err, size_t err_len);
/* Output 0 of the returned layer is the value seen inside the loop; set its next value with
   charrnn_trt_recurrence_set_next before building. */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_loop_add_recurrence(charrnn_trt_loop* loop, charrnn_trt_tensor* initial, charrnn_trt_layer** recurrence, charrnn_trt_tensor** output, char* err, size_t err_len);
/* IRecurrenceLayer::setInput(1, next). */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_recurrence_set_next(charrnn_trt_layer* recurrence, charrnn_trt_tensor* next, char* err, size_t err_len);
/* kind: LoopOutput kLAST_VALUE = 0, kCONCATENATE = 1, kREVERSE = 2. For kCONCATENATE, `length` (a 0-D int32 tensor
   computed before the loop) is the concatenated extent; pass null for kLAST_VALUE. */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_loop_add_output(charrnn_trt_loop* loop, charrnn_trt_tensor* value, int32_t kind, int32_t axis, charrnn_trt_tensor* length, charrnn_trt_tensor** output, char* err, size_t err_len);

/* ---- build and serialize ---- */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_builder_build_serialized_network(charrnn_trt_builder* builder, charrnn_trt_network* network, charrnn_trt_config* config, charrnn_trt_host_memory** plan, char* err, size_t err_len);
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_host_memory_data(charrnn_trt_host_memory* memory, const void** data, uint64_t* size, char* err, size_t err_len);
CHARRNN_TRT_EXPORT void CHARRNN_TRT_CALL charrnn_trt_host_memory_destroy(charrnn_trt_host_memory* memory);

/* ---- runtime, engine, execution ---- */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_runtime_create(charrnn_trt_logger* logger, charrnn_trt_runtime** runtime, char* err, size_t err_len);
CHARRNN_TRT_EXPORT void CHARRNN_TRT_CALL charrnn_trt_runtime_destroy(charrnn_trt_runtime* runtime);
/* The plan is read during the call only. Fails (TENSORRT_FAILURE) for a plan of another TensorRT version or GPU. */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_runtime_deserialize_engine(charrnn_trt_runtime* runtime, const void* plan, uint64_t size, charrnn_trt_engine** engine, char* err, size_t err_len);
CHARRNN_TRT_EXPORT void CHARRNN_TRT_CALL charrnn_trt_engine_destroy(charrnn_trt_engine* engine);
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_context_create(charrnn_trt_engine* engine, charrnn_trt_context** context, char* err, size_t err_len);
CHARRNN_TRT_EXPORT void CHARRNN_TRT_CALL charrnn_trt_context_destroy(charrnn_trt_context* context);
/* address: device memory for the tensor (the caller owns it; it must stay valid until the enqueued work finishes). */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_context_set_tensor_address(charrnn_trt_context* context, const char* name, void* address, char* err, size_t err_len);
/* stream: a cudaStream_t (a CUstream of the driver API is the same object). Asynchronous. */
CHARRNN_TRT_EXPORT charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_context_enqueue_v3(charrnn_trt_context* context, void* stream, char* err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif
