// The flat C API of charrnn_trt.h over TensorRT 10's C++ classes. Every export validates its arguments, catches
// std::exception and ... and turns failures into a status plus a message in the caller's buffer.

#include "charrnn_trt.h"

#include <NvInfer.h>
#include <NvInferRuntime.h>
#include <NvInferVersion.h>

#include <cstddef>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#if NV_TENSORRT_MAJOR < 10
#error "charrnn_trt needs TensorRT 10 or newer headers (RNNv2 is gone and ILoop is used; Dims are Dims64)."
#endif

// The shared structs must match what the managed side declares (tests assert the same numbers) and what we hand to
// TensorRT without copying.
static_assert(sizeof(charrnn_trt_dims) == 72, "charrnn_trt_dims must be 72 bytes");
static_assert(offsetof(charrnn_trt_dims, d) == 8, "charrnn_trt_dims.d must start at byte 8");
static_assert(sizeof(charrnn_trt_weights) == 24 || sizeof(void*) != 8, "charrnn_trt_weights must be 24 bytes on 64-bit");
static_assert(offsetof(charrnn_trt_weights, values) == 8, "charrnn_trt_weights.values must start at byte 8");
static_assert(CHARRNN_TRT_MAX_DIMS == nvinfer1::Dims::MAX_DIMS, "Dims capacity differs from TensorRT's");
static_assert(std::is_same<decltype(nvinfer1::Dims::d[0]), int64_t&>::value, "TensorRT Dims must be Dims64");
// Enum values the C API documents as plain integers.
static_assert(static_cast<int32_t>(nvinfer1::DataType::kFLOAT) == 0 && static_cast<int32_t>(nvinfer1::DataType::kINT32) == 3, "DataType values moved");
static_assert(static_cast<int32_t>(nvinfer1::MatrixOperation::kNONE) == 0 && static_cast<int32_t>(nvinfer1::MatrixOperation::kTRANSPOSE) == 1 && static_cast<int32_t>(nvinfer1::MatrixOperation::kVECTOR) == 2, "MatrixOperation values moved");
static_assert(static_cast<int32_t>(nvinfer1::ElementWiseOperation::kSUM) == 0 && static_cast<int32_t>(nvinfer1::ElementWiseOperation::kPROD) == 1, "ElementWiseOperation values moved");
static_assert(static_cast<int32_t>(nvinfer1::ActivationType::kSIGMOID) == 1 && static_cast<int32_t>(nvinfer1::ActivationType::kTANH) == 2, "ActivationType values moved");
static_assert(static_cast<int32_t>(nvinfer1::TopKOperation::kMAX) == 0, "TopKOperation values moved");
static_assert(static_cast<int32_t>(nvinfer1::LoopOutput::kLAST_VALUE) == 0 && static_cast<int32_t>(nvinfer1::LoopOutput::kCONCATENATE) == 1, "LoopOutput values moved");
static_assert(static_cast<int32_t>(nvinfer1::ILogger::Severity::kINTERNAL_ERROR) == 0 && static_cast<int32_t>(nvinfer1::ILogger::Severity::kVERBOSE) == 4, "Severity values moved");

// The opaque handles. Objects TensorRT owns are wrapped so that each handle type is distinct in C.
struct charrnn_trt_logger final : nvinfer1::ILogger
{
    charrnn_trt_log_callback callback;
    void* userData;
    int32_t minSeverity;
    std::mutex mutex;
    std::string lastError;

    void log(Severity severity, char const* msg) noexcept override
    {
        // Called by TensorRT from any of its threads; nothing may escape (TensorRT is not exception safe).
        try
        {
            if (severity <= Severity::kERROR)
            {
                std::lock_guard<std::mutex> lock(mutex);
                lastError = msg != nullptr ? msg : "";
            }
            if (callback != nullptr && static_cast<int32_t>(severity) <= minSeverity)
            {
                callback(static_cast<int32_t>(severity), msg != nullptr ? msg : "", userData);
            }
        }
        catch (...)
        {
        }
    }

    std::string takeLastError()
    {
        std::lock_guard<std::mutex> lock(mutex);
        std::string result;
        result.swap(lastError);
        return result;
    }
};

struct charrnn_trt_builder
{
    nvinfer1::IBuilder* builder;
    charrnn_trt_logger* logger;
};

struct charrnn_trt_loop
{
    nvinfer1::ILoop* loop;
    charrnn_trt_network* network;
};

struct charrnn_trt_network
{
    nvinfer1::INetworkDefinition* network;
    charrnn_trt_logger* logger;
    // ILoop has no slot for our context, so the loop handles live here and die with the network.
    std::vector<std::unique_ptr<charrnn_trt_loop>> loops;
};

struct charrnn_trt_config
{
    nvinfer1::IBuilderConfig* config;
};

struct charrnn_trt_host_memory
{
    nvinfer1::IHostMemory* memory;
};

struct charrnn_trt_runtime
{
    nvinfer1::IRuntime* runtime;
    charrnn_trt_logger* logger;
};

struct charrnn_trt_engine
{
    nvinfer1::ICudaEngine* engine;
    charrnn_trt_logger* logger;
};

struct charrnn_trt_context
{
    nvinfer1::IExecutionContext* context;
    charrnn_trt_logger* logger;
};

namespace
{

// Thrown inside an export, caught by guard(): carries the status and the message.
struct ShimError
{
    charrnn_trt_status status;
    std::string message;
};

void writeMessage(char* buffer, size_t length, std::string const& message) noexcept
{
    if (buffer == nullptr || length == 0)
    {
        return;
    }
    size_t n = message.size() < length - 1 ? message.size() : length - 1;
    std::memcpy(buffer, message.data(), n);
    buffer[n] = '\0';
}

// Runs one export's body: the single place that turns C++ failures into a status and a message.
template <typename Body>
charrnn_trt_status guard(char const* function, char* err, size_t errLen, Body&& body) noexcept
{
    writeMessage(err, errLen, "");
    try
    {
        body();
        return CHARRNN_TRT_OK;
    }
    catch (ShimError const& e)
    {
        writeMessage(err, errLen, std::string(function) + ": " + e.message);
        return e.status;
    }
    catch (std::exception const& e)
    {
        writeMessage(err, errLen, std::string(function) + ": " + e.what());
        return CHARRNN_TRT_EXCEPTION;
    }
    catch (...)
    {
        writeMessage(err, errLen, std::string(function) + ": unknown C++ exception");
        return CHARRNN_TRT_UNKNOWN_EXCEPTION;
    }
}

template <typename T>
T* required(T* pointer, char const* what)
{
    if (pointer == nullptr)
    {
        throw ShimError{CHARRNN_TRT_INVALID_ARGUMENT, std::string(what) + " is null"};
    }
    return pointer;
}

// A null result from TensorRT: the reason is whatever it logged as an error just before.
[[noreturn]] void tensorRtFailed(char const* call, charrnn_trt_logger* logger)
{
    std::string detail = logger != nullptr ? logger->takeLastError() : std::string();
    throw ShimError{CHARRNN_TRT_TENSORRT_FAILURE,
        std::string(call) + " failed" + (detail.empty() ? std::string(" (TensorRT logged no error)") : ": " + detail)};
}

template <typename T>
T* check(T* result, char const* call, charrnn_trt_logger* logger)
{
    if (result == nullptr)
    {
        tensorRtFailed(call, logger);
    }
    return result;
}

nvinfer1::Dims toDims(charrnn_trt_dims const* dims, char const* what)
{
    required(dims, what);
    if (dims->nb_dims < 0 || dims->nb_dims > CHARRNN_TRT_MAX_DIMS)
    {
        throw ShimError{CHARRNN_TRT_INVALID_ARGUMENT, std::string(what) + " has " + std::to_string(dims->nb_dims) + " dimensions (0 to 8 allowed)"};
    }
    nvinfer1::Dims result{};
    result.nbDims = dims->nb_dims;
    for (int32_t i = 0; i < dims->nb_dims; i++)
    {
        result.d[i] = dims->d[i];
    }
    return result;
}

nvinfer1::ITensor* tensor(charrnn_trt_tensor* handle, char const* what)
{
    return reinterpret_cast<nvinfer1::ITensor*>(required(handle, what));
}

charrnn_trt_tensor* handle(nvinfer1::ITensor* tensor)
{
    return reinterpret_cast<charrnn_trt_tensor*>(tensor);
}

// Layers are created by an INetworkDefinition method; the first output is the tensor the C API returns.
template <typename Layer>
charrnn_trt_tensor* firstOutput(Layer* layer, char const* call, charrnn_trt_network* network)
{
    return handle(check(check(layer, call, network->logger)->getOutput(0), call, network->logger));
}

template <typename Enum>
Enum enumValue(int32_t value, int32_t maxValue, char const* what)
{
    if (value < 0 || value > maxValue)
    {
        throw ShimError{CHARRNN_TRT_INVALID_ARGUMENT, std::string(what) + " " + std::to_string(value) + " is out of range"};
    }
    return static_cast<Enum>(value);
}

} // namespace

extern "C" {

int32_t CHARRNN_TRT_CALL charrnn_trt_abi_version(void)
{
    return CHARRNN_TRT_ABI_VERSION;
}

int32_t CHARRNN_TRT_CALL charrnn_trt_compiled_version(void)
{
    return NV_TENSORRT_VERSION;
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_get_infer_lib_version(int32_t* version, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] { *required(version, "version") = getInferLibVersion(); });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_logger_create(charrnn_trt_log_callback callback, void* user_data, int32_t min_severity, charrnn_trt_logger** logger, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(logger, "logger");
        *logger = nullptr;
        auto* created = new charrnn_trt_logger();
        created->callback = callback;
        created->userData = user_data;
        created->minSeverity = min_severity;
        *logger = created;
    });
}

void CHARRNN_TRT_CALL charrnn_trt_logger_destroy(charrnn_trt_logger* logger)
{
    delete logger;
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_builder_create(charrnn_trt_logger* logger, charrnn_trt_builder** builder, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(logger, "logger");
        required(builder, "builder");
        *builder = nullptr;
        auto* created = check(nvinfer1::createInferBuilder(*logger), "createInferBuilder", logger);
        *builder = new charrnn_trt_builder{created, logger};
    });
}

void CHARRNN_TRT_CALL charrnn_trt_builder_destroy(charrnn_trt_builder* builder)
{
    if (builder != nullptr)
    {
        delete builder->builder;
        delete builder;
    }
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_create(charrnn_trt_builder* builder, uint32_t flags, charrnn_trt_network** network, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(builder, "builder");
        required(network, "network");
        *network = nullptr;
        auto* created = check(builder->builder->createNetworkV2(flags), "createNetworkV2", builder->logger);
        *network = new charrnn_trt_network{created, builder->logger, {}};
    });
}

void CHARRNN_TRT_CALL charrnn_trt_network_destroy(charrnn_trt_network* network)
{
    if (network != nullptr)
    {
        delete network->network;
        delete network;
    }
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_config_create(charrnn_trt_builder* builder, charrnn_trt_config** config, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(builder, "builder");
        required(config, "config");
        *config = nullptr;
        auto* created = check(builder->builder->createBuilderConfig(), "createBuilderConfig", builder->logger);
        *config = new charrnn_trt_config{created};
    });
}

void CHARRNN_TRT_CALL charrnn_trt_config_destroy(charrnn_trt_config* config)
{
    if (config != nullptr)
    {
        delete config->config;
        delete config;
    }
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_config_set_tf32(charrnn_trt_config* config, int32_t enabled, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(config, "config");
        if (enabled != 0)
        {
            config->config->setFlag(nvinfer1::BuilderFlag::kTF32);
        }
        else
        {
            config->config->clearFlag(nvinfer1::BuilderFlag::kTF32);
        }
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_input(charrnn_trt_network* network, const char* name, int32_t data_type, const charrnn_trt_dims* dims, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        required(name, "name");
        required(output, "output");
        *output = nullptr;
        auto type = enumValue<nvinfer1::DataType>(data_type, 127, "data_type");
        *output = handle(check(network->network->addInput(name, type, toDims(dims, "dims")), "addInput", network->logger));
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_mark_output(charrnn_trt_network* network, charrnn_trt_tensor* output, const char* name, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        auto* value = tensor(output, "tensor");
        value->setName(required(name, "name"));
        network->network->markOutput(*value);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_constant(charrnn_trt_network* network, const charrnn_trt_dims* dims, const charrnn_trt_weights* weights, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        required(weights, "weights");
        required(output, "output");
        *output = nullptr;
        if (weights->count < 0 || (weights->count > 0 && weights->values == nullptr))
        {
            throw ShimError{CHARRNN_TRT_INVALID_ARGUMENT, "weights need values for " + std::to_string(weights->count) + " elements"};
        }
        nvinfer1::Weights w{enumValue<nvinfer1::DataType>(weights->data_type, 127, "weights.data_type"), weights->values, weights->count};
        *output = firstOutput(network->network->addConstant(toDims(dims, "dims"), w), "addConstant", network);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_matrix_multiply(charrnn_trt_network* network, charrnn_trt_tensor* a, int32_t op_a, charrnn_trt_tensor* b, int32_t op_b, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        required(output, "output");
        *output = nullptr;
        auto opA = enumValue<nvinfer1::MatrixOperation>(op_a, 2, "op_a");
        auto opB = enumValue<nvinfer1::MatrixOperation>(op_b, 2, "op_b");
        *output = firstOutput(network->network->addMatrixMultiply(*tensor(a, "a"), opA, *tensor(b, "b"), opB), "addMatrixMultiply", network);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_elementwise(charrnn_trt_network* network, charrnn_trt_tensor* a, charrnn_trt_tensor* b, int32_t op, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        required(output, "output");
        *output = nullptr;
        auto operation = enumValue<nvinfer1::ElementWiseOperation>(op, 127, "op");
        *output = firstOutput(network->network->addElementWise(*tensor(a, "a"), *tensor(b, "b"), operation), "addElementWise", network);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_gather(charrnn_trt_network* network, charrnn_trt_tensor* data, charrnn_trt_tensor* indices, int32_t axis, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        required(output, "output");
        *output = nullptr;
        *output = firstOutput(network->network->addGather(*tensor(data, "data"), *tensor(indices, "indices"), axis), "addGather", network);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_slice(charrnn_trt_network* network, charrnn_trt_tensor* input, const charrnn_trt_dims* start, const charrnn_trt_dims* size, const charrnn_trt_dims* stride, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        required(output, "output");
        *output = nullptr;
        *output = firstOutput(network->network->addSlice(*tensor(input, "input"), toDims(start, "start"), toDims(size, "size"), toDims(stride, "stride")), "addSlice", network);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_reshape(charrnn_trt_network* network, charrnn_trt_tensor* input, const charrnn_trt_dims* dims, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        required(output, "output");
        *output = nullptr;
        auto shape = toDims(dims, "dims");
        auto* shuffle = check(network->network->addShuffle(*tensor(input, "input")), "addShuffle", network->logger);
        shuffle->setReshapeDimensions(shape);
        *output = firstOutput(shuffle, "addShuffle", network);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_activation(charrnn_trt_network* network, charrnn_trt_tensor* input, int32_t type, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        required(output, "output");
        *output = nullptr;
        auto activation = enumValue<nvinfer1::ActivationType>(type, 127, "type");
        *output = firstOutput(network->network->addActivation(*tensor(input, "input"), activation), "addActivation", network);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_topk(charrnn_trt_network* network, charrnn_trt_tensor* input, int32_t op, int32_t k, uint32_t reduce_axes, int32_t indices_type, charrnn_trt_tensor** values, charrnn_trt_tensor** indices, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        required(values, "values");
        required(indices, "indices");
        *values = nullptr;
        *indices = nullptr;
        auto operation = enumValue<nvinfer1::TopKOperation>(op, 1, "op");
        auto indicesType = enumValue<nvinfer1::DataType>(indices_type, 127, "indices_type");
#if NV_TENSORRT_MAJOR > 10 || (NV_TENSORRT_MAJOR == 10 && NV_TENSORRT_MINOR >= 14)
        // 10.14 added the indices type and deprecated the 4-argument form (FACTS.md section 4).
        auto* layer = network->network->addTopK(*tensor(input, "input"), operation, k, reduce_axes, indicesType);
#else
        if (indicesType != nvinfer1::DataType::kINT32)
        {
            throw ShimError{CHARRNN_TRT_INVALID_ARGUMENT, "this shim was built against TensorRT < 10.14, whose TopK only produces int32 indices"};
        }
        auto* layer = network->network->addTopK(*tensor(input, "input"), operation, k, reduce_axes);
#endif
        check(layer, "addTopK", network->logger);
        *values = handle(check(layer->getOutput(0), "addTopK", network->logger));
        *indices = handle(check(layer->getOutput(1), "addTopK", network->logger));
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_network_add_loop(charrnn_trt_network* network, charrnn_trt_loop** loop, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(network, "network");
        required(loop, "loop");
        *loop = nullptr;
        auto* created = check(network->network->addLoop(), "addLoop", network->logger);
        network->loops.push_back(std::unique_ptr<charrnn_trt_loop>(new charrnn_trt_loop{created, network}));
        *loop = network->loops.back().get();
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_loop_add_trip_limit_count(charrnn_trt_loop* loop, charrnn_trt_tensor* count, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(loop, "loop");
        check(loop->loop->addTripLimit(*tensor(count, "count"), nvinfer1::TripLimit::kCOUNT), "addTripLimit", loop->network->logger);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_loop_add_iterator(charrnn_trt_loop* loop, charrnn_trt_tensor* input, int32_t axis, int32_t reverse, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(loop, "loop");
        required(output, "output");
        *output = nullptr;
        *output = firstOutput(loop->loop->addIterator(*tensor(input, "input"), axis, reverse != 0), "addIterator", loop->network);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_loop_add_recurrence(charrnn_trt_loop* loop, charrnn_trt_tensor* initial, charrnn_trt_layer** recurrence, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(loop, "loop");
        required(recurrence, "recurrence");
        required(output, "output");
        *recurrence = nullptr;
        *output = nullptr;
        auto* layer = check(loop->loop->addRecurrence(*tensor(initial, "initial")), "addRecurrence", loop->network->logger);
        *output = firstOutput(layer, "addRecurrence", loop->network);
        *recurrence = reinterpret_cast<charrnn_trt_layer*>(layer);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_recurrence_set_next(charrnn_trt_layer* recurrence, charrnn_trt_tensor* next, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        auto* layer = reinterpret_cast<nvinfer1::IRecurrenceLayer*>(required(recurrence, "recurrence"));
        layer->setInput(1, *tensor(next, "next"));
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_loop_add_output(charrnn_trt_loop* loop, charrnn_trt_tensor* value, int32_t kind, int32_t axis, charrnn_trt_tensor* length, charrnn_trt_tensor** output, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(loop, "loop");
        required(output, "output");
        *output = nullptr;
        auto outputKind = enumValue<nvinfer1::LoopOutput>(kind, 2, "kind");
        if ((outputKind == nvinfer1::LoopOutput::kLAST_VALUE) != (length == nullptr))
        {
            throw ShimError{CHARRNN_TRT_INVALID_ARGUMENT, "length is required for kCONCATENATE/kREVERSE and must be null for kLAST_VALUE"};
        }
        auto* layer = check(loop->loop->addLoopOutput(*tensor(value, "value"), outputKind, axis), "addLoopOutput", loop->network->logger);
        if (length != nullptr)
        {
            layer->setInput(1, *tensor(length, "length"));
        }
        *output = firstOutput(layer, "addLoopOutput", loop->network);
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_builder_build_serialized_network(charrnn_trt_builder* builder, charrnn_trt_network* network, charrnn_trt_config* config, charrnn_trt_host_memory** plan, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(builder, "builder");
        required(network, "network");
        required(config, "config");
        required(plan, "plan");
        *plan = nullptr;
        auto* memory = check(builder->builder->buildSerializedNetwork(*network->network, *config->config), "buildSerializedNetwork", builder->logger);
        *plan = new charrnn_trt_host_memory{memory};
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_host_memory_data(charrnn_trt_host_memory* memory, const void** data, uint64_t* size, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(memory, "memory");
        *required(data, "data") = memory->memory->data();
        *required(size, "size") = static_cast<uint64_t>(memory->memory->size());
    });
}

void CHARRNN_TRT_CALL charrnn_trt_host_memory_destroy(charrnn_trt_host_memory* memory)
{
    if (memory != nullptr)
    {
        delete memory->memory;
        delete memory;
    }
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_runtime_create(charrnn_trt_logger* logger, charrnn_trt_runtime** runtime, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(logger, "logger");
        required(runtime, "runtime");
        *runtime = nullptr;
        auto* created = check(nvinfer1::createInferRuntime(*logger), "createInferRuntime", logger);
        *runtime = new charrnn_trt_runtime{created, logger};
    });
}

void CHARRNN_TRT_CALL charrnn_trt_runtime_destroy(charrnn_trt_runtime* runtime)
{
    if (runtime != nullptr)
    {
        delete runtime->runtime;
        delete runtime;
    }
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_runtime_deserialize_engine(charrnn_trt_runtime* runtime, const void* plan, uint64_t size, charrnn_trt_engine** engine, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(runtime, "runtime");
        required(plan, "plan");
        required(engine, "engine");
        *engine = nullptr;
        auto* created = check(runtime->runtime->deserializeCudaEngine(plan, static_cast<std::size_t>(size)), "deserializeCudaEngine", runtime->logger);
        *engine = new charrnn_trt_engine{created, runtime->logger};
    });
}

void CHARRNN_TRT_CALL charrnn_trt_engine_destroy(charrnn_trt_engine* engine)
{
    if (engine != nullptr)
    {
        delete engine->engine;
        delete engine;
    }
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_context_create(charrnn_trt_engine* engine, charrnn_trt_context** context, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(engine, "engine");
        required(context, "context");
        *context = nullptr;
        auto* created = check(engine->engine->createExecutionContext(), "createExecutionContext", engine->logger);
        *context = new charrnn_trt_context{created, engine->logger};
    });
}

void CHARRNN_TRT_CALL charrnn_trt_context_destroy(charrnn_trt_context* context)
{
    if (context != nullptr)
    {
        delete context->context;
        delete context;
    }
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_context_set_tensor_address(charrnn_trt_context* context, const char* name, void* address, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(context, "context");
        required(name, "name");
        required(address, "address");
        if (!context->context->setTensorAddress(name, address))
        {
            tensorRtFailed("setTensorAddress", context->logger);
        }
    });
}

charrnn_trt_status CHARRNN_TRT_CALL charrnn_trt_context_enqueue_v3(charrnn_trt_context* context, void* stream, char* err, size_t err_len)
{
    return guard(__func__, err, err_len, [&] {
        required(context, "context");
        if (!context->context->enqueueV3(static_cast<cudaStream_t>(stream)))
        {
            tensorRtFailed("enqueueV3", context->logger);
        }
    });
}

} // extern "C"
