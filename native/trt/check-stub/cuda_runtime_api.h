/* Stand-in for the CUDA toolkit's cuda_runtime_api.h, used ONLY by the compile check
 * (native/trt/check.sh) on machines without CUDA: the TensorRT headers need just these
 * handle types. A real build (CMakeLists.txt) uses the toolkit's header instead. */
#ifndef RESSHIFT_CUDA_RUNTIME_API_STUB_H
#define RESSHIFT_CUDA_RUNTIME_API_STUB_H
typedef struct CUstream_st* cudaStream_t;
typedef struct CUevent_st* cudaEvent_t;
typedef enum cudaError { cudaSuccess = 0 } cudaError_t;
#endif
