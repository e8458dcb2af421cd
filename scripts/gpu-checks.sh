#!/usr/bin/env bash
# Every GPU check of issues 7 and 11 in ONE run on a GPU machine that has no .NET SDK, no libvips and possibly no
# TensorRT. Needs the repository plus a self-contained publish (scripts/gpu-publish.sh -> out/gpu-publish, which
# also carries a prebuilt libresshift_trt.so when one was built). Usage:
#   scripts/gpu-checks.sh [PUBLISH_DIR]
# Results under $OUT (default out/gpu-checks), at most 8 files (the device tool returns no more):
#   facts.txt     machine facts, written first and before anything can fail (driver, MIG, glibc/GLIBCXX, tools,
#                 torch/CUDA/cuDNN, pip packages, every GPU library found, RUNPATH of NVRTC, chosen library paths)
#   report.txt    one line per step: PASS/FAIL/SKIP NAME: reason (seconds), then a summary
#   steps.log     every step's output
#   selftest.json CUDA layer on the device vs the CPU code (bit-identity of noise, update, bicubic)
#   parity.json   per-network max-abs error (TensorRT fp16 vs PyTorch fp32) and restore PSNR per parity case
#   bench.jsonl   one JSON object per benchmark (batch 1/4/8/16, engine concurrency 1 vs N, end to end)
#   torch.jsonl   PyTorch baseline on the same GPU (fp16 autocast, one tile at a time and batched) + fp16 FLOP ceiling
# Every step runs under `timeout`; the whole run stops starting steps at GPU_CHECKS_DEADLINE seconds (420).
# Overrides: GPU_CHECKS_PYTHON (python3), GPU_CHECKS_FIND_ROOTS, GPU_CHECKS_FACT_TIMEOUT (20), GPU_CHECKS_OPT_LEVEL (1),
# GPU_CHECKS_MODEL (tiny-x4), GPU_CHECKS_CONCURRENCY (3), GPU_CHECKS_WORK (scratch folder).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
start=$SECONDS
deadline="${GPU_CHECKS_DEADLINE:-420}"
fact_timeout="${GPU_CHECKS_FACT_TIMEOUT:-20}"
py="${GPU_CHECKS_PYTHON:-python3}"
model="${GPU_CHECKS_MODEL:-tiny-x4}"
opt_level="${GPU_CHECKS_OPT_LEVEL:-1}"
concurrency="${GPU_CHECKS_CONCURRENCY:-3}"
OUT="${OUT:-$repo/out/gpu-checks}"
mkdir -p "$OUT"
work="${GPU_CHECKS_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/resshift-gpu-checks.XXXXXX")}"
mkdir -p "$work"
facts="$OUT/facts.txt" report="$OUT/report.txt" steps="$OUT/steps.log"
: > "$facts"; : > "$report"; : > "$steps"; : > "$OUT/bench.jsonl"; : > "$OUT/torch.jsonl"

# ---- helpers -------------------------------------------------------------------------------------------------
elapsed() { echo $((SECONDS - start)); }
record() { # STATUS NAME REASON
  printf '%s %s: %s\n' "$1" "$2" "$3" | tee -a "$report"
}
fact() { # LABEL SHELL-TEXT: never fails, never blocks longer than fact_timeout
  { printf '## %s\n' "$1"; timeout -k 2 "$fact_timeout" bash -c "$2" 2>&1; local rc=$?
    [ $rc -eq 0 ] || printf '(exit %s%s)\n' "$rc" "$([ $rc -eq 124 ] && echo ", timed out after ${fact_timeout}s")"; } >> "$facts"
}
# step NAME LIMIT_SECONDS COMMAND...: PASS/FAIL with the reason; SKIP when the overall deadline is too close.
step() {
  local name="$1" limit="$2"; shift 2
  local left=$((deadline - $(elapsed)))
  if [ "$left" -lt 15 ]; then record SKIP "$name" "overall deadline of ${deadline}s reached"; return 3; fi
  [ "$limit" -gt $((left - 5)) ] && limit=$((left - 5))
  local log="$work/$name.log" t0=$SECONDS rc
  printf '\n=== %s (limit %ss, at %ss) ===\n$ %s\n' "$name" "$limit" "$(elapsed)" "$*" >> "$steps"
  timeout -k 5 "$limit" "$@" > "$log" 2>&1; rc=$?
  cat "$log" >> "$steps"
  local secs=$((SECONDS - t0))
  if [ $rc -eq 0 ]; then record PASS "$name" "${secs}s"
  elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then record FAIL "$name" "timed out after ${limit}s"
  else  # the reason: the step's own FAIL lines when it prints any, else its last lines
    local why; why=$(grep -E '^FAIL' "$log" | head -n 3); [ -z "$why" ] && why=$(grep -v '^\s*$' "$log" | tail -n 3)
    record FAIL "$name" "exit $rc after ${secs}s: $(echo "$why" | tr '\n' ' ' | cut -c1-600)"
  fi
  return $rc
}
skip() { record SKIP "$1" "$2"; }

# ---- 1. facts, before anything can fail ----------------------------------------------------------------------
fact "run" "date -u; echo 'repo $repo, publish ${1:-out/gpu-publish}, OUT $OUT, deadline ${deadline}s'"
fact "machine" "uname -a; grep PRETTY_NAME /etc/os-release; nproc; free -g | head -2; id"
fact "nvidia-smi" "nvidia-smi"
fact "gpus (name, compute capability, driver, memory, MIG)" \
  "nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total,mig.mode.current --format=csv; nvidia-smi -L"
fact "glibc" "ldd --version 2>&1 | head -1; getconf GNU_LIBC_VERSION"
fact "GLIBCXX (newest per libstdc++)" \
  "for f in \$(ldconfig -p | grep -oE '/[^ ]*libstdc\+\+\.so\.6\$' | sort -u); do echo \"\$f: \$(grep -aoE 'GLIBCXX_[0-9]+(\.[0-9]+)*' \"\$f\" | sort -uV | tail -1)\"; done"
fact "tools" "for t in g++ gcc cmake nvcc trtexec readelf $py; do p=\$(command -v \$t || ls /usr/src/tensorrt/bin/\$t 2>/dev/null); echo \"\$t: \${p:-absent}\"; done; nvcc --version 2>/dev/null | tail -2; g++ --version 2>/dev/null | head -1; cmake --version 2>/dev/null | head -1"
fact "torch" "$py -c 'import torch; c=torch.cuda.is_available(); print(\"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"cudnn\", torch.backends.cudnn.version(), \"available\", c, torch.cuda.get_device_name(0) if c else \"\", torch.cuda.get_device_capability(0) if c else \"\")'"
timeout -k 2 "$fact_timeout" "$py" -m pip list > "$work/pip.txt" 2>&1
{ echo "## pip packages (tensorrt/nvidia/onnxruntime/cuda)"; grep -iE 'tensorrt|nvidia|onnxruntime|cuda' "$work/pip.txt" || echo "(none, or pip did not answer)"; } >> "$facts"
pip_tensorrt=$(grep -i '^tensorrt' "$work/pip.txt" | paste -sd' ')
site_packages=$(timeout -k 2 "$fact_timeout" "$py" -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null)
roots="${GPU_CHECKS_FIND_ROOTS:-/usr /opt /lib /lib64 /root /workspace /usr/local/nvidia} $(echo $site_packages)"
# One find for every library of interest (wheels keep theirs under site-packages/nvidia/*/lib, nvidia/cu13/lib, tensorrt_libs).
timeout -k 2 60 find $roots -xdev \( -name 'libnvinfer*' -o -name 'libnvonnxparser*' -o -name 'NvInfer.h' -o -name 'NvInferVersion.h' \
  -o -name 'libnvrtc*' -o -name 'libcudnn*' -o -name 'libcublasLt*' -o -name 'libnvidia-ptxjitcompiler*' -o -name 'libvips*' \
  -o -name 'libcuda.so*' -o -name 'cuda_runtime_api.h' \) 2>/dev/null | sort -u > "$work/libraries.txt"
{ echo "## libraries found (find under: $roots)"; cat "$work/libraries.txt"; [ -s "$work/libraries.txt" ] || echo "(none)"; } >> "$facts"

# Library paths: the wheels' lib folders first, then every folder a GPU library was found in.
libdirs=""
for sp in $site_packages; do
  for d in "$sp"/nvidia/*/lib "$sp"/nvidia/cu13/lib "$sp"/tensorrt_libs "$sp"/tensorrt; do [ -d "$d" ] && libdirs="$libdirs:$d"; done
done
for f in $(grep -E '/lib(cuda|nvinfer|nvonnxparser|nvrtc|cudnn|cublasLt)[^/]*\.so' "$work/libraries.txt" | grep -v '/stubs/'); do libdirs="$libdirs:$(dirname "$f")"; done
libdirs=$(echo "$libdirs" | tr ':' '\n' | grep -v '^$' | awk '!seen[$0]++' | paste -sd:)
[ -n "$libdirs" ] && export LD_LIBRARY_PATH="$libdirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# NVRTC, newest soname first; passed explicitly (the CUDA 13 wheel's libnvrtc lacks a RUNPATH for its builtins,
# whose folder is on LD_LIBRARY_PATH above).
nvrtc=""
for soname in libnvrtc.so.13 libnvrtc.so.12 libnvrtc.so.11.2; do
  nvrtc=$(grep -E "/$soname\$" "$work/libraries.txt" | head -1); [ -n "$nvrtc" ] && break
done
[ -z "$nvrtc" ] && nvrtc=$(ldconfig -p | grep -oE '/[^ ]*libnvrtc\.so\.[0-9.]+$' | head -1)
[ -n "$nvrtc" ] && export RESSHIFT_NVRTC="$nvrtc"
fact "NVRTC chosen and its dynamic section" "echo 'RESSHIFT_NVRTC=${nvrtc:-none found}'; [ -n '$nvrtc' ] && { readelf -d '$nvrtc' | grep -E 'RUNPATH|RPATH|NEEDED|SONAME' || echo '(readelf absent or no dynamic section)'; }"
fact "library path" "echo LD_LIBRARY_PATH=\$LD_LIBRARY_PATH"
nvinfer=$(grep -E '/libnvinfer\.so\.(10|11)$' "$work/libraries.txt" | head -1)
[ -z "$nvinfer" ] && nvinfer=$(ldconfig -p | grep -oE '/[^ ]*libnvinfer\.so\.(10|11)$' | head -1)
trt_inc=$(dirname "$(grep -E '/NvInfer\.h$' "$work/libraries.txt" | head -1)" 2>/dev/null)
[ "$trt_inc" = "." ] && trt_inc=""
fact "TensorRT" "echo 'libnvinfer: ${nvinfer:-absent}'; echo 'NvInfer.h: ${trt_inc:-absent}'; [ -n '$trt_inc' ] && grep -hE '#define (NV_TENSORRT|TRT)_(MAJOR|MINOR|PATCH)' '$trt_inc/NvInferVersion.h'; $py -c 'import tensorrt; print(\"python tensorrt\", tensorrt.__version__)' 2>&1 | tail -1"
echo "facts written in $(elapsed)s: $facts"

# ---- 2. our binary and the CUDA layer ------------------------------------------------------------------------
pub="$(cd "${1:-out/gpu-publish}" 2>/dev/null && pwd)"
bin="${pub:+$pub/resshift}"
export RESSHIFT_MODELS_DIR="$work/models"   # engines are built into a copy, the repository stays clean
mkdir -p "$RESSHIFT_MODELS_DIR" && cp -r "$repo/engines/$model" "$RESSHIFT_MODELS_DIR/" 2>/dev/null
if [ -z "$pub" ] || [ ! -x "$bin" ]; then
  record FAIL version "no executable resshift in '${1:-out/gpu-publish}' (run scripts/gpu-publish.sh and carry it)"
  bin=""
else
  step version 30 "$bin" --version || bin=""  # the self-contained runtime starts on this glibc
fi

if [ -n "$bin" ]; then
  step selftest 120 "$bin" engines selftest --json "$OUT/selftest.json"
else
  skip selftest "resshift did not start (see the version line)"
fi

# ---- 3. TensorRT: shim, engines (one step per network), parity, benchmarks -----------------------------------
shim=""
if [ -z "$bin" ]; then
  skip tensorrt "resshift did not start (see the version line)"
elif [ -z "$nvinfer" ]; then
  skip tensorrt "TensorRT absent: no libnvinfer.so.10/.11 under $roots nor in ldconfig; pip tensorrt packages: ${pip_tensorrt:-none} (see facts.txt). The networks cannot run as TensorRT engines here"
else
  major=$(basename "$nvinfer" | grep -oE '[0-9]+$')
  prebuilt="$pub/libresshift_trt.so"; [ "$major" = 11 ] && prebuilt="$pub/libresshift_trt11.so"
  if [ -f "$prebuilt" ]; then
    shim="$prebuilt"
    record PASS trt-shim "prebuilt $(basename "$shim") for TensorRT $major carried with the publish"
  elif [ -n "$trt_inc" ] && command -v g++ > /dev/null; then
    cuda_inc=$(dirname "$(grep -E '/cuda_runtime_api\.h$' "$work/libraries.txt" | head -1)" 2>/dev/null)
    [ -z "$cuda_inc" ] || [ "$cuda_inc" = "." ] && cuda_inc="$repo/native/trt/check-stub"
    step trt-shim-build 120 g++ -std=c++17 -fPIC -shared -O2 -fvisibility=hidden "-DRS_TRT_EXPORT=__attribute__((visibility(\"default\")))" \
      -I"$repo/native/trt" -isystem "$trt_inc" -isystem "$cuda_inc" "$repo/native/trt/resshift_trt.cpp" \
      -o "$work/libresshift_trt.so" -L"$(dirname "$nvinfer")" -l:"$(basename "$nvinfer")" \
      -l:"$(basename "$(grep -E '/libnvonnxparser\.so\.(10|11)$' "$work/libraries.txt" | head -1)")" -static-libstdc++ -static-libgcc
    if [ -f "$work/libresshift_trt.so" ]; then shim="$work/libresshift_trt.so"
    else record FAIL trt-shim "the build produced no libresshift_trt.so"; fi
  else
    skip trt-shim "no prebuilt shim in the publish and no NvInfer.h/g++ to build one (headers: ${trt_inc:-absent})"
  fi
fi
if [ -n "$shim" ]; then
  export RESSHIFT_TRT_SHIM="$shim"
  # The shim and libnvinfer load (the loader's reason otherwise: missing soname, GLIBC version, undefined symbol).
  step trt-shim-load 30 "$bin" engines selftest --tensorrt || shim=""
fi
if [ -n "$shim" ]; then
  built=1
  for net in encoder denoiser decoder; do  # separately timed: one slow build cannot eat the run
    step "trt-build-$net" 150 "$bin" engines build --model "$model" --network "$net" --precision fp16 --max-batch 16 --opt-level "$opt_level" || built=0
  done
  if [ $built -eq 1 ]; then
    step trt-parity 120 "$bin" engines parity --model "$model" --engine tensorrt --min-psnr 40 --json "$OUT/parity.json" --ppm "$work/ppm"
    for b in 1 4 8 16; do
      for c in 1 "$concurrency"; do
        step "trt-bench-b$b-c$c" 60 bash -c "set -o pipefail; '$bin' bench --model '$model' --engine tensorrt --batch $b --batches 24 --engine-concurrency $c --engine-only --json | tr -d '\n' >> '$OUT/bench.jsonl' && echo >> '$OUT/bench.jsonl'"
      done
    done
    step trt-bench-end-to-end 120 bash -c "set -o pipefail; '$bin' bench --model '$model' --engine tensorrt --batch 8 --batches 32 --json | tr -d '\n' >> '$OUT/bench.jsonl' && echo >> '$OUT/bench.jsonl'"
    step trt-auto-picks-tensorrt 60 bash -c "'$bin' bench --model '$model' --engine auto --batch 1 --batches 1 --warmup 0 --engine-only 2>&1 | tee /dev/stderr | grep -q 'engine auto: TensorRT'"
  else
    skip trt-parity "engines were not built"
  fi
elif [ -n "$bin" ]; then
  # Without TensorRT the decision must be visible: auto says why it falls back (the CPU engine itself needs
  # ONNX Runtime, which is not carried; only the logged decision is checked).
  step auto-falls-back-with-reason 60 bash -c "('$bin' bench --model '$model' --engine auto --batch 1 --batches 1 --warmup 0 --engine-only 2>&1 || true) | tee /dev/stderr | grep 'engine auto: using the CPU engine because'"
  step tensorrt-refuses-without-engines 60 bash -c "'$bin' engines parity --model '$model' --engine tensorrt 2>&1; test \$? -ne 0"
fi

# ---- 4. PyTorch baseline on the same GPU: our model code, fp16 autocast, one tile at a time and batched -------
if timeout -k 2 "$fact_timeout" "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' > /dev/null 2>&1; then
  # tiny-x4 (the model the engines above ran: the "8x the one-tile PyTorch baseline" comparison), then the
  # full-width graph with seeded random weights (1.42 TFLOP per 64^2 tile: the fraction of the fp16 ceiling).
  for b in 1 8; do
    step "torch-baseline-b$b" 90 bash -c "set -o pipefail; '$py' '$repo/engines/bench_torch.py' --id '$model' --widths tiny --threads 4 --device cuda --fp16 --batch $b --tiles 8 --warmup 2 | tr -d '\n' >> '$OUT/torch.jsonl' && echo >> '$OUT/torch.jsonl'"
  done
  step torch-fp16-ceiling 60 bash -c "set -o pipefail; '$py' '$repo/engines/bench_torch.py' --flop-ceiling | tr -d '\n' >> '$OUT/torch.jsonl' && echo >> '$OUT/torch.jsonl'"
  for b in 1 8; do
    step "torch-full-width-b$b" 120 bash -c "set -o pipefail; '$py' '$repo/engines/bench_torch.py' --id resshift-realsr-x4-v3 --widths full --threads 4 --device cuda --fp16 --batch $b --tiles 4 --warmup 1 | tr -d '\n' >> '$OUT/torch.jsonl' && echo >> '$OUT/torch.jsonl'"
  done
else
  skip torch-baseline "no PyTorch with CUDA ($py)"
fi

# ---- summary -------------------------------------------------------------------------------------------------
p=$(grep -c '^PASS' "$report"); f=$(grep -c '^FAIL' "$report"); s=$(grep -c '^SKIP' "$report")
printf '\ngpu-checks: %s passed, %s failed, %s skipped in %ss (deadline %ss)\n' "$p" "$f" "$s" "$(elapsed)" "$deadline" | tee -a "$report"
[ "$f" -eq 0 ]
