/* resshift_trt: a thin C ABI over the TensorRT 10/11 runtime and builder, for P/Invoke from
 * src/Engines/TensorRt. Every function returning int gives 0 on success and -1 on failure;
 * rs_trt_last_error() then holds the message (TensorRT's logged errors included) for the
 * calling thread. Objects are opaque; each has exactly one destroy function. */
#ifndef RESSHIFT_TRT_H
#define RESSHIFT_TRT_H
#include <stddef.h>
#include <stdint.h>

#ifndef RS_TRT_EXPORT
#define RS_TRT_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define RS_TRT_ABI_VERSION 2
#define RS_TRT_MAX_DIMS 8

typedef struct rs_trt_engine rs_trt_engine;
typedef struct rs_trt_context rs_trt_context;

/* Bytes owned by the shim (a serialized engine or timing cache); free with rs_trt_blob_free. */
typedef struct rs_trt_blob { void* data; size_t size; } rs_trt_blob;

typedef struct rs_trt_tensor_info {
    const char* name;   /* valid while the engine lives */
    int32_t is_input;   /* 1 input, 0 output */
    int32_t data_type;  /* nvinfer1::DataType: 0 float, 1 half, 2 int8, 3 int32, 4 bool, 5 uint8, 6 fp8, 7 bf16, 8 int64 */
    int32_t nb_dims;
    int64_t dims[RS_TRT_MAX_DIMS]; /* -1 where the engine has a dynamic dimension */
} rs_trt_tensor_info;

RS_TRT_EXPORT int32_t rs_trt_abi_version(void);
/* getInferLibVersion(): e.g. 101601 for 10.16.1 (major*10000 + minor*100 + patch). */
RS_TRT_EXPORT int32_t rs_trt_library_version(void);
RS_TRT_EXPORT const char* rs_trt_last_error(void);
/* Warnings and notes of the calling thread's last build (precision fallbacks, OBEY -> PREFER retry). */
RS_TRT_EXPORT const char* rs_trt_last_log(void);
/* 1 when the headers the shim was built with still have weak typing (TensorRT 10), 0 for 11+. */
RS_TRT_EXPORT int32_t rs_trt_has_weak_typing(void);

RS_TRT_EXPORT rs_trt_engine* rs_trt_engine_deserialize(const void* data, size_t size);
RS_TRT_EXPORT void rs_trt_engine_destroy(rs_trt_engine* engine);
RS_TRT_EXPORT int32_t rs_trt_engine_io_count(const rs_trt_engine* engine);
RS_TRT_EXPORT int rs_trt_engine_io_info(const rs_trt_engine* engine, int32_t index, rs_trt_tensor_info* info);
/* Device memory one context needs for activations at the largest profile shape. */
RS_TRT_EXPORT int64_t rs_trt_engine_device_memory(const rs_trt_engine* engine);

RS_TRT_EXPORT rs_trt_context* rs_trt_context_create(rs_trt_engine* engine);
RS_TRT_EXPORT void rs_trt_context_destroy(rs_trt_context* context);
RS_TRT_EXPORT int rs_trt_context_set_input_shape(rs_trt_context* context, const char* name, int32_t nb_dims, const int64_t* dims);
RS_TRT_EXPORT int rs_trt_context_set_tensor_address(rs_trt_context* context, const char* name, void* device_pointer);
/* stream: a CUstream / cudaStream_t (the same handle). Work is queued, not waited for. */
RS_TRT_EXPORT int rs_trt_context_enqueue(rs_trt_context* context, void* stream);

typedef struct rs_trt_build_options {
    int32_t fp16;              /* 1: allow fp16 kernels */
    int32_t min_batch, opt_batch, max_batch; /* optimisation profile over dimension 0 of every input */
    const char* fp32_layers;   /* weak typing only: ';'-separated substrings of layer names kept in fp32 (plus every
                                  normalization and softmax layer), applied to layers whose tensors are all float/half */
    const void* timing_cache;  /* may be NULL */
    size_t timing_cache_size;
    size_t workspace_bytes;    /* 0 = TensorRT's default */
    int32_t builder_optimization_level; /* -1 = default (3) */
    int32_t strongly_typed;    /* 1: precision from the ONNX graph (the only mode in TensorRT 11); 0: fp16 flag + fp32 pins (10.x) */
} rs_trt_build_options;

/* ONNX file -> serialized engine (+ updated timing cache when timing_out is not NULL). */
RS_TRT_EXPORT int rs_trt_build(const char* onnx_path, const rs_trt_build_options* options, rs_trt_blob* engine_out, rs_trt_blob* timing_out);
RS_TRT_EXPORT void rs_trt_blob_free(rs_trt_blob* blob);

#ifdef __cplusplus
}
#endif
#endif
