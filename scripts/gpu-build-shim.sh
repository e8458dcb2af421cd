#!/usr/bin/env bash
# Prebuilt libresshift_trt.so for a GPU machine that has TensorRT's runtime but no compiler or headers.
#   scripts/gpu-build-shim.sh INCLUDE_DIR OUTPUT.so
# INCLUDE_DIR holds TensorRT's NvInfer*.h and NvOnnxParser.h (github:NVIDIA/TensorRT include/, fetched with the
# search tool's fetch into the ignored .tools/trt-headers/<tag>/include: TensorRT is in no package registry
# reachable here, and its headers are never committed). The shim is linked against stub libraries that carry only
# the sonames (libnvinfer.so.N, libnvonnxparser.so.N, N = the headers' major version), so the real libraries
# resolve on the GPU machine, and libstdc++/libgcc are linked statically (the device's GLIBCXX may be older).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
inc="${1:?usage: gpu-build-shim.sh TENSORRT_INCLUDE_DIR OUTPUT.so}"
out="${2:?usage: gpu-build-shim.sh TENSORRT_INCLUDE_DIR OUTPUT.so}"
[ -f "$inc/NvInfer.h" ] && [ -f "$inc/NvOnnxParser.h" ] || { echo "no NvInfer.h/NvOnnxParser.h in $inc" >&2; exit 2; }
major=$(grep -hE '#define (TRT_MAJOR_ENTERPRISE|NV_TENSORRT_MAJOR) +[0-9]+' "$inc/NvInferVersion.h" | awk '{print $3}' | head -1)
[ -n "$major" ] || { echo "no TensorRT major version in $inc/NvInferVersion.h" >&2; exit 2; }
stubs=$(mktemp -d)
trap 'rm -rf "$stubs"' EXIT
echo 'void resshift_trt_stub(void) {}' > "$stubs/stub.c"
for lib in nvinfer nvonnxparser; do
  gcc -shared -fPIC -o "$stubs/lib$lib.so" -Wl,-soname,"lib$lib.so.$major" "$stubs/stub.c"
done
mkdir -p "$(dirname "$out")"
g++ -std=c++17 -fPIC -shared -O2 -Wall -Wextra -Werror -fvisibility=hidden \
  "-DRS_TRT_EXPORT=__attribute__((visibility(\"default\")))" \
  -I"$here/native/trt" -isystem "$inc" -isystem "${CUDA_INCLUDE:-$here/native/trt/check-stub}" "$here/native/trt/resshift_trt.cpp" \
  -o "$out" -L"$stubs" -Wl,--no-as-needed -lnvinfer -lnvonnxparser -static-libstdc++ -static-libgcc -Wl,-z,now
needed=$(readelf -d "$out" | grep -oE 'NEEDED.*\[[^]]+\]' | grep -oE '\[[^]]+\]' | tr -d '[]' | paste -sd' ')
glibc=$(objdump -T "$out" | grep -oE 'GLIBC_[0-9.]+' | sort -uV | tail -1)
case " $needed " in *" libnvinfer.so.$major "*) ;; *) echo "shim does not need libnvinfer.so.$major (needs: $needed)" >&2; exit 1 ;; esac
case " $needed " in *libstdc++*) echo "libstdc++ is linked dynamically (needs: $needed)" >&2; exit 1 ;; esac
echo "built $out for TensorRT $major: needs $needed; newest glibc symbol $glibc; $(du -k "$out" | cut -f1) KiB"
