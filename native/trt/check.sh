#!/usr/bin/env bash
# Compile-and-link check of the shim against TensorRT headers WITHOUT the TensorRT library or CUDA:
#   native/trt/check.sh /path/to/tensorrt/include [output.so]
# The nvinfer/nvonnxparser symbols stay undefined (they resolve at load time on a GPU machine); CUDA's
# cuda_runtime_api.h is replaced by check-stub/ when no toolkit header is given in CUDA_INCLUDE.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
inc="${1:?usage: check.sh TENSORRT_INCLUDE_DIR [out.so]}"
out="${2:-$(mktemp -d)/libresshift_trt.so}"
[ -f "$inc/NvInfer.h" ] || { echo "no NvInfer.h in $inc"; exit 2; }
cuda_inc="${CUDA_INCLUDE:-$here/check-stub}"
${CXX:-g++} -std=c++17 -fPIC -shared -O1 -Wall -Wextra -Werror -fvisibility=hidden \
  "-DRS_TRT_EXPORT=__attribute__((visibility(\"default\")))" \
  -I"$here" -isystem "$inc" -isystem "$cuda_inc" "$here/resshift_trt.cpp" -o "$out" \
  -Wl,--unresolved-symbols=ignore-all
version=$(grep -hE '#define (TRT_(MAJOR|MINOR|PATCH)_ENTERPRISE|NV_TENSORRT_(MAJOR|MINOR|PATCH)) +[0-9]+' "$inc/NvInferVersion.h" | awk '{print $3}' | head -3 | paste -sd.)
exports=$(nm -D --defined-only "$out" | grep -c ' T rs_trt_')
undefined=$(nm -D --undefined-only "$out" | grep -E 'createInfer|NvOnnxParser|getInferLibVersion' | awk '{print $2}' | paste -sd' ')
echo "shim OK: TensorRT headers $version, $exports exports, unresolved until load: $undefined -> $out"
