// resshift_trt: see resshift_trt.h. Compiles against the TensorRT 10.x and 11.x headers (NvInfer.h, NvOnnxParser.h).
// Exceptions never cross the C ABI: every entry point catches and turns failures into -1 + last error.
// TensorRT 11 removed weak typing (BuilderFlag::kFP16, kOBEY/kPREFER_PRECISION_CONSTRAINTS, ILayer::setPrecision,
// setOutputType): there every network is strongly typed and precision is a property of the ONNX graph.
#include "resshift_trt.h"

#include <NvInfer.h>
#include <NvOnnxParser.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace {

#if NV_TENSORRT_MAJOR >= 11
constexpr bool kHasWeakTyping = false;
#else
constexpr bool kHasWeakTyping = true;
#endif

thread_local std::string t_last_error;
thread_local std::string t_last_log;

void append(std::string& to, const std::string& line) {
    if (!to.empty()) to += "\n";
    to += line;
}

// TensorRT logs from the calling thread during build/deserialize/enqueue: errors go to that thread's error,
// warnings (precision fallbacks, tactics skipped for memory...) and errors to its build log.
class Logger final : public nvinfer1::ILogger {
public:
    void log(Severity severity, const char* msg) noexcept override {
        try {
            if (severity <= Severity::kERROR) append(t_last_error, msg);
            if (severity <= Severity::kWARNING)
                append(t_last_log, std::string(severity <= Severity::kERROR ? "error: " : "warning: ") + msg);
        } catch (...) {
        }
    }
};

Logger& logger() {
    static Logger instance;
    return instance;
}

nvinfer1::IRuntime* runtime() {
    // One runtime per process (TensorRT's recommendation); created on first use, never destroyed.
    static std::once_flag once;
    static nvinfer1::IRuntime* instance = nullptr;
    std::call_once(once, [] { instance = nvinfer1::createInferRuntime(logger()); });
    return instance;
}

int fail(const std::string& message) {
    t_last_error = t_last_error.empty() ? message : message + ": " + t_last_error;
    return -1;
}

[[maybe_unused]] std::vector<std::string> split(const char* list) {
    std::vector<std::string> parts;
    if (!list) return parts;
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ';'))
        if (!item.empty()) parts.push_back(item);
    return parts;
}

[[maybe_unused]] bool is_float(nvinfer1::ITensor* t) {
    return t && (t->getType() == nvinfer1::DataType::kFLOAT || t->getType() == nvinfer1::DataType::kHALF);
}

#if NV_TENSORRT_MAJOR < 11
// Weak typing (10.x): keeps the named layers in fp32 inside an fp16 engine. Only layers whose every input and
// output is float/half are pinned: a name pattern such as "quantize" also matches the codebook's ArgMin, Cast,
// Gather and Slice, whose index/shape tensors cannot be fp32. Returns how many layers were pinned.
int pin_fp32(nvinfer1::INetworkDefinition& network, const std::vector<std::string>& patterns) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    int pinned = 0;
    for (int i = 0; i < network.getNbLayers(); i++) {
        nvinfer1::ILayer* layer = network.getLayer(i);
        std::string name = layer->getName();
        bool keep = layer->getType() == nvinfer1::LayerType::kNORMALIZATION || layer->getType() == nvinfer1::LayerType::kSOFTMAX;
        for (const std::string& p : patterns) keep = keep || name.find(p) != std::string::npos;
        if (!keep) continue;
        bool all_float = layer->getNbOutputs() > 0;
        for (int k = 0; k < layer->getNbInputs() && all_float; k++)
            if (layer->getInput(k) && !is_float(layer->getInput(k))) all_float = false; // null: an absent optional input
        for (int o = 0; o < layer->getNbOutputs() && all_float; o++)
            if (!is_float(layer->getOutput(o))) all_float = false;
        if (!all_float) continue;
        layer->setPrecision(nvinfer1::DataType::kFLOAT);
        for (int o = 0; o < layer->getNbOutputs(); o++) layer->setOutputType(o, nvinfer1::DataType::kFLOAT);
        pinned++;
    }
    return pinned;
#pragma GCC diagnostic pop
}
#endif

bool copy_blob(nvinfer1::IHostMemory* memory, rs_trt_blob* out) {
    out->data = nullptr;
    out->size = 0;
    if (!memory) return false;
    out->data = std::malloc(memory->size());
    if (!out->data) return false;
    std::memcpy(out->data, memory->data(), memory->size());
    out->size = memory->size();
    return true;
}

} // namespace

struct rs_trt_engine {
    std::unique_ptr<nvinfer1::ICudaEngine> engine;
};

struct rs_trt_context {
    std::unique_ptr<nvinfer1::IExecutionContext> context;
};

extern "C" {

int32_t rs_trt_abi_version(void) { return RS_TRT_ABI_VERSION; }

int32_t rs_trt_library_version(void) { return getInferLibVersion(); }

const char* rs_trt_last_error(void) { return t_last_error.c_str(); }

const char* rs_trt_last_log(void) { return t_last_log.c_str(); }

int32_t rs_trt_has_weak_typing(void) { return kHasWeakTyping ? 1 : 0; }

rs_trt_engine* rs_trt_engine_deserialize(const void* data, size_t size) {
    t_last_error.clear();
    try {
        nvinfer1::IRuntime* rt = runtime();
        if (!rt) { fail("createInferRuntime failed"); return nullptr; }
        nvinfer1::ICudaEngine* engine = rt->deserializeCudaEngine(data, size);
        if (!engine) { fail("deserializeCudaEngine failed (engine built by another TensorRT version or for another GPU?)"); return nullptr; }
        return new rs_trt_engine{std::unique_ptr<nvinfer1::ICudaEngine>(engine)};
    } catch (const std::exception& e) {
        fail(e.what());
        return nullptr;
    }
}

void rs_trt_engine_destroy(rs_trt_engine* engine) { delete engine; }

int32_t rs_trt_engine_io_count(const rs_trt_engine* engine) {
    return engine ? engine->engine->getNbIOTensors() : -1;
}

int rs_trt_engine_io_info(const rs_trt_engine* engine, int32_t index, rs_trt_tensor_info* info) {
    t_last_error.clear();
    if (!engine || !info) return fail("null argument");
    if (index < 0 || index >= engine->engine->getNbIOTensors()) return fail("tensor index out of range");
    const char* name = engine->engine->getIOTensorName(index);
    nvinfer1::Dims shape = engine->engine->getTensorShape(name);
    if (shape.nbDims < 0 || shape.nbDims > RS_TRT_MAX_DIMS) return fail(std::string("bad rank for tensor ") + name);
    info->name = name;
    info->is_input = engine->engine->getTensorIOMode(name) == nvinfer1::TensorIOMode::kINPUT ? 1 : 0;
    info->data_type = static_cast<int32_t>(engine->engine->getTensorDataType(name));
    info->nb_dims = shape.nbDims;
    for (int i = 0; i < RS_TRT_MAX_DIMS; i++) info->dims[i] = i < shape.nbDims ? shape.d[i] : 0;
    return 0;
}

int64_t rs_trt_engine_device_memory(const rs_trt_engine* engine) {
    if (!engine) return -1;
#if NV_TENSORRT_MAJOR > 10 || (NV_TENSORRT_MAJOR == 10 && NV_TENSORRT_MINOR >= 1)
    return engine->engine->getDeviceMemorySizeV2(); // 10.1+: the old size_t query is deprecated
#else
    return static_cast<int64_t>(engine->engine->getDeviceMemorySize());
#endif
}

rs_trt_context* rs_trt_context_create(rs_trt_engine* engine) {
    t_last_error.clear();
    if (!engine) { fail("null engine"); return nullptr; }
    try {
        nvinfer1::IExecutionContext* context = engine->engine->createExecutionContext();
        if (!context) { fail("createExecutionContext failed (out of device memory?)"); return nullptr; }
        return new rs_trt_context{std::unique_ptr<nvinfer1::IExecutionContext>(context)};
    } catch (const std::exception& e) {
        fail(e.what());
        return nullptr;
    }
}

void rs_trt_context_destroy(rs_trt_context* context) { delete context; }

int rs_trt_context_set_input_shape(rs_trt_context* context, const char* name, int32_t nb_dims, const int64_t* dims) {
    t_last_error.clear();
    if (!context || !name || !dims || nb_dims < 0 || nb_dims > RS_TRT_MAX_DIMS) return fail("bad argument");
    nvinfer1::Dims shape{};
    shape.nbDims = nb_dims;
    for (int i = 0; i < nb_dims; i++) shape.d[i] = dims[i];
    return context->context->setInputShape(name, shape) ? 0 : fail(std::string("setInputShape(") + name + ") refused the shape");
}

int rs_trt_context_set_tensor_address(rs_trt_context* context, const char* name, void* device_pointer) {
    t_last_error.clear();
    if (!context || !name) return fail("bad argument");
    return context->context->setTensorAddress(name, device_pointer) ? 0 : fail(std::string("setTensorAddress(") + name + ") failed");
}

int rs_trt_context_enqueue(rs_trt_context* context, void* stream) {
    t_last_error.clear();
    if (!context) return fail("null context");
    return context->context->enqueueV3(static_cast<cudaStream_t>(stream)) ? 0 : fail("enqueueV3 failed");
}

int rs_trt_build(const char* onnx_path, const rs_trt_build_options* options, rs_trt_blob* engine_out, rs_trt_blob* timing_out) {
    t_last_error.clear();
    t_last_log.clear();
    if (!onnx_path || !options || !engine_out) return fail("bad argument");
    if (options->min_batch < 1 || options->opt_batch < options->min_batch || options->max_batch < options->opt_batch)
        return fail("batch profile must satisfy 1 <= min <= opt <= max");
    bool strongly_typed = options->strongly_typed != 0 || !kHasWeakTyping;
    if (options->fp16 && strongly_typed && !options->strongly_typed)
        return fail("TensorRT " + std::to_string(NV_TENSORRT_MAJOR) + " builds strongly typed networks only (no BuilderFlag::kFP16): "
                    "an fp16 engine needs an fp16 ONNX export with fp32 islands; build fp32 or export in fp16");
    try {
        std::unique_ptr<nvinfer1::IBuilder> builder(nvinfer1::createInferBuilder(logger()));
        if (!builder) return fail("createInferBuilder failed");
        uint32_t flags = 0;
#if NV_TENSORRT_MAJOR < 11
        if (strongly_typed) flags = 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED);
#endif
        std::unique_ptr<nvinfer1::INetworkDefinition> network(builder->createNetworkV2(flags));
        std::unique_ptr<nvonnxparser::IParser> parser(nvonnxparser::createParser(*network, logger()));
        if (!parser->parseFromFile(onnx_path, static_cast<int>(nvinfer1::ILogger::Severity::kWARNING))) {
            std::string errors;
            for (int i = 0; i < parser->getNbErrors(); i++) errors += std::string("\n") + parser->getError(i)->desc();
            return fail(std::string("ONNX parse of ") + onnx_path + " failed" + errors);
        }
        std::unique_ptr<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
        if (options->workspace_bytes > 0) config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, options->workspace_bytes);
        if (options->builder_optimization_level >= 0) config->setBuilderOptimizationLevel(options->builder_optimization_level);

        // Profile: batch (dimension 0) from min to max; every other dimension must be static in the ONNX graph.
        nvinfer1::IOptimizationProfile* profile = builder->createOptimizationProfile();
        for (int i = 0; i < network->getNbInputs(); i++) {
            nvinfer1::ITensor* input = network->getInput(i);
            nvinfer1::Dims d = input->getDimensions();
            for (int k = 1; k < d.nbDims; k++)
                if (d.d[k] < 0) return fail(std::string("input ") + input->getName() + " has a dynamic dimension other than the batch");
            nvinfer1::Dims lo = d, opt = d, hi = d;
            if (d.nbDims > 0) { lo.d[0] = options->min_batch; opt.d[0] = options->opt_batch; hi.d[0] = options->max_batch; }
            profile->setDimensions(input->getName(), nvinfer1::OptProfileSelector::kMIN, lo);
            profile->setDimensions(input->getName(), nvinfer1::OptProfileSelector::kOPT, opt);
            profile->setDimensions(input->getName(), nvinfer1::OptProfileSelector::kMAX, hi);
        }
        config->addOptimizationProfile(profile);

        std::unique_ptr<nvinfer1::ITimingCache> cache(config->createTimingCache(options->timing_cache, options->timing_cache ? options->timing_cache_size : 0));
        if (!cache || !config->setTimingCache(*cache, false)) return fail("timing cache rejected");

        std::unique_ptr<nvinfer1::IHostMemory> plan;
#if NV_TENSORRT_MAJOR < 11
        if (options->fp16 && !strongly_typed) {
            // Weakly-typed fp16 (deprecated in 10.x, gone in 11): GroupNorm, softmax and the VQ distance stay fp32
            // as the reference's autocast does (resshift.md section 4). OBEY first; if no tactic satisfies every
            // constraint, PREFER (TensorRT may then run a pinned layer in fp16), and the log says so.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
            config->setFlag(nvinfer1::BuilderFlag::kFP16);
            int pinned = pin_fp32(*network, split(options->fp32_layers));
            append(t_last_log, "info: weakly typed fp16, " + std::to_string(pinned) + " layers pinned to fp32, OBEY_PRECISION_CONSTRAINTS");
            config->setFlag(nvinfer1::BuilderFlag::kOBEY_PRECISION_CONSTRAINTS);
            plan.reset(builder->buildSerializedNetwork(*network, *config));
            if (!plan || plan->size() == 0) {
                append(t_last_log, "warning: the build with OBEY_PRECISION_CONSTRAINTS failed (" + t_last_error +
                                       "); retrying with PREFER_PRECISION_CONSTRAINTS: pinned layers may run in fp16");
                t_last_error.clear();
                config->clearFlag(nvinfer1::BuilderFlag::kOBEY_PRECISION_CONSTRAINTS);
                config->setFlag(nvinfer1::BuilderFlag::kPREFER_PRECISION_CONSTRAINTS);
                plan.reset(builder->buildSerializedNetwork(*network, *config));
            }
#pragma GCC diagnostic pop
        } else
#endif
        {
            append(t_last_log, std::string("info: ") + (strongly_typed ? "strongly typed network: precision as exported in the ONNX graph" : "fp32 network"));
            plan.reset(builder->buildSerializedNetwork(*network, *config));
        }
        if (!plan || plan->size() == 0) return fail("buildSerializedNetwork failed");
        if (!copy_blob(plan.get(), engine_out)) return fail("out of host memory copying the engine");
        if (timing_out) {
            std::unique_ptr<nvinfer1::IHostMemory> timing(config->getTimingCache()->serialize());
            if (!copy_blob(timing.get(), timing_out)) { rs_trt_blob_free(engine_out); return fail("timing cache serialisation failed"); }
        }
        return 0;
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

void rs_trt_blob_free(rs_trt_blob* blob) {
    if (!blob) return;
    std::free(blob->data);
    blob->data = nullptr;
    blob->size = 0;
}

} // extern "C"
