#!/usr/bin/env bash
# Every GPU check of issue 7 in one run, for a GPU machine without the .NET SDK. It needs the repository plus a
# self-contained publish (scripts/gpu-publish.sh -> out/gpu-publish). Everything goes under $OUT (default out/gpu-checks):
#   report.txt          machine facts (nvidia-smi, libraries, TensorRT presence) and one PASS/FAIL/SKIP line per check
#   selftest.{txt,json} CUDA layer on the device vs the CPU code (bit-identity of noise, update, bicubic)
#   trt-*.txt           shim build, engine build, parity (PSNR TensorRT fp16 vs CPU), benchmarks with/without overlap
#   torch-*.txt         PyTorch fp16-autocast baseline on the same GPU (one tile at a time and batched)
# Usage (device tool, one call, carrying out/gpu-publish):  scripts/gpu-checks.sh [PUBLISH_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
pub="$(cd "${1:-out/gpu-publish}" 2>/dev/null && pwd)" || { echo "no publish folder: run scripts/gpu-publish.sh first"; exit 2; }
OUT="${OUT:-$repo/out/gpu-checks}"
mkdir -p "$OUT"
report="$OUT/report.txt"
: > "$report"
bin="$pub/resshift"
model="${GPU_CHECK_MODEL:-tiny-x4}"
export RESSHIFT_MODELS_DIR="${RESSHIFT_MODELS_DIR:-$repo/engines}"
line() { echo "$*" | tee -a "$report"; }
section() { printf '\n== %s ==\n' "$*" >> "$report"; }
run_check() { # name, command...: records PASS/FAIL with the log file name
  local name="$1"; shift
  local log="$OUT/$name.txt"
  if "$@" > "$log" 2>&1; then line "PASS $name"; else line "FAIL $name (exit $?, see $name.txt)"; fi
}

section "machine"
{ date -u; uname -a; nproc; free -g | head -2; } >> "$report" 2>&1
section "nvidia-smi"
nvidia-smi >> "$report" 2>&1 || line "nvidia-smi: not available"
nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv >> "$report" 2>&1
section "libraries"
ldconfig -p | grep -E 'libcuda\.so|nvinfer|nvonnxparser|cudnn|cublas|nvrtc' >> "$report" 2>&1 || line "ldconfig: none of libcuda/nvinfer/cudnn/cublas/nvrtc"
trt_inc=""
for d in "${TENSORRT_ROOT:-/nonexistent}/include" /usr/include/x86_64-linux-gnu /usr/include /usr/local/tensorrt/include /opt/tensorrt/include /workspace/tensorrt/include; do
  [ -f "$d/NvInfer.h" ] && { trt_inc="$d"; break; }
done
line "NvInfer.h: ${trt_inc:-absent}"
[ -n "$trt_inc" ] && grep -hE '#define (NV_TENSORRT|TRT)_(MAJOR|MINOR|PATCH)' "$trt_inc/NvInferVersion.h" >> "$report"
line "trtexec: $(command -v trtexec || ls /usr/src/tensorrt/bin/trtexec 2>/dev/null || echo absent)"
line "python3: $(command -v python3 || echo absent)"
python3 -c 'import tensorrt; print("python tensorrt", tensorrt.__version__)' >> "$report" 2>&1 || line "python tensorrt: absent"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.version.cuda)' >> "$report" 2>&1 || line "torch: absent"
cuda_inc=""
for d in "${CUDA_HOME:-/usr/local/cuda}/include" /usr/local/cuda/include /usr/include; do
  [ -f "$d/cuda_runtime_api.h" ] && { cuda_inc="$d"; break; }
done
line "cuda_runtime_api.h: ${cuda_inc:-absent}"

section "checks"
# 1. CUDA layer: init, memory, copies, NVRTC compile + launch, bit-identity of noise/update/bicubic vs the CPU code.
run_check selftest "$bin" engines selftest --json "$OUT/selftest.json"

# 2. TensorRT: shim, engines, parity, benchmarks (only where TensorRT is installed).
lib_nvinfer=$(ldconfig -p | grep -oE '/[^ ]*libnvinfer\.so(\.10)?$' | head -1)
if [ -n "$trt_inc" ] && [ -n "$lib_nvinfer" ]; then
  libdir=$(dirname "$lib_nvinfer")
  # The shim against the real headers and libraries (cmake when present, else g++ directly).
  if command -v cmake >/dev/null && [ -n "$cuda_inc" ]; then
    run_check trt-shim-build bash -c "cmake -S native/trt -B '$OUT/trt-build' -DTENSORRT_ROOT='$(dirname "$trt_inc")' && cmake --build '$OUT/trt-build' -j"
    cp "$OUT/trt-build/libresshift_trt.so" "$OUT/" 2>/dev/null
  else
    run_check trt-shim-build g++ -std=c++17 -fPIC -shared -O2 -fvisibility=hidden "-DRS_TRT_EXPORT=__attribute__((visibility(\"default\")))" \
      -Inative/trt -isystem "$trt_inc" -isystem "${cuda_inc:-native/trt/check-stub}" native/trt/resshift_trt.cpp \
      -o "$OUT/libresshift_trt.so" -L"$libdir" -lnvinfer -lnvonnxparser
  fi
  export RESSHIFT_TRT_SHIM="$OUT/libresshift_trt.so"
  if [ -f "$RESSHIFT_TRT_SHIM" ]; then
    # Engines go to a copy of the model folder so the repository stays clean.
    rm -rf "$OUT/models" && mkdir -p "$OUT/models" && cp -r "$RESSHIFT_MODELS_DIR/$model" "$OUT/models/"
    export RESSHIFT_MODELS_DIR="$OUT/models"
    run_check trt-engines-build "$bin" engines build --model "$model" --precision fp16 --max-batch 8
    # Parity: TensorRT fp16 on the parity image at noise scale 0 against the PyTorch fp32 reference output
    # (engines/<model>/parity/a_out.png, also what the CPU engine is tested against); no ONNX Runtime needed here.
    img="$repo/engines/$model/parity/a_lq.png"
    mkdir -p "$OUT/parity"
    run_check trt-restore-tensorrt "$bin" restore "$img" -o "$OUT/parity/trt.png" --model "$model" --engine tensorrt --noise-scale 0
    run_check trt-parity-psnr python3 - "$repo/engines/$model/parity/a_out.png" "$OUT/parity/trt.png" <<'PY'
import sys, numpy as np
try:
    import cv2; load = lambda p: cv2.imread(p, cv2.IMREAD_UNCHANGED).astype(np.float64)
except ImportError:
    from PIL import Image; load = lambda p: np.asarray(Image.open(p)).astype(np.float64)
a, b = load(sys.argv[1]), load(sys.argv[2])
mse = float(np.mean((a - b) ** 2)); psnr = float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)
print(f"PSNR TensorRT fp16 vs reference fp32: {psnr:.2f} dB (max abs diff {np.max(np.abs(a - b)):.0f})")
sys.exit(0 if psnr >= 35 else 1)
PY
    for b in 1 4 8; do
      RESSHIFT_TRT_SLOTS=3 run_check "trt-bench-b$b-overlap" "$bin" bench --model "$model" --engine tensorrt --batch "$b" --batches 16 --json
      RESSHIFT_TRT_SLOTS=1 run_check "trt-bench-b$b-serial" "$bin" bench --model "$model" --engine tensorrt --batch "$b" --batches 16 --json
    done
    run_check trt-auto-picks-tensorrt bash -c "'$bin' bench --model '$model' --engine auto --batch 1 --batches 1 2>&1 | grep -q 'engine auto: TensorRT'"
  fi
else
  line "SKIP tensorrt: NvInfer.h ${trt_inc:-absent}, libnvinfer ${lib_nvinfer:-absent} (shim, engine build, parity and benchmarks need TensorRT 10)"
  # The CPU engine itself may then fail for want of ONNX Runtime (not carried); only the decision is checked.
  run_check auto-falls-back-to-cpu bash -c "('$bin' bench --model '$model' --engine auto --batch 1 --batches 1 2>&1 || true) | grep 'engine auto: using the CPU engine because'"
fi

# 3. PyTorch baseline on the same GPU (engines/resshift_models, fp16 autocast), tile by tile and batched.
if python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  run_check torch-baseline python3 - "$repo/engines" <<'PY'
import sys, time, torch
sys.path.insert(0, sys.argv[1])
from resshift_models.graphs import load_models
from resshift_models.sampler import sample
cfg, unet, vq = load_models("tiny-x4", widths="tiny", seed=1234)
unet, vq = unet.cuda(), vq.cuda()
for batch in (1, 4, 8):
    y = torch.rand(batch, 3, 64, 64, device="cuda") * 2 - 1
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16):
        sample(unet, vq, y, cfg["schedule"], sf=cfg["scale"], pad_multiple=cfg["lq_pad_multiple"])  # warm-up
        torch.cuda.synchronize(); t0 = time.perf_counter(); n = 0
        while time.perf_counter() - t0 < 5:
            sample(unet, vq, y, cfg["schedule"], sf=cfg["scale"], pad_multiple=cfg["lq_pad_multiple"]); n += batch
        torch.cuda.synchronize()
    print(f"torch fp16 autocast, tiny-x4, batch {batch}: {n / (time.perf_counter() - t0):.2f} tiles/s")
PY
else
  line "SKIP torch-baseline: no PyTorch with CUDA on this machine"
fi

section "summary"
grep -cE '^PASS' "$report" | xargs -I{} echo "passed: {}" >> "$report"
grep -cE '^FAIL' "$report" | xargs -I{} echo "failed: {}" >> "$report"
tail -2 "$report"
! grep -qE '^FAIL' "$report"
