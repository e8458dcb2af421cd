#!/usr/bin/python3
"""Time OUR PyTorch implementation (engines/resshift_models) on the per-tile work the C# engine-only bench does.

  bench_torch.py --threads 2 --tiles 2 [--id resshift-realsr-x4-v3 --widths full --seed 7 --tile 64 --batch 1]

One tile = the whole sampler of resshift.md section 3, exactly the stages of `resshift bench` (engine-only):
  preprocess     bicubic x4 of the LQ tile (64 -> 256)
  encode_latent  VQ encoder (+ quant_conv) on the 256^2 image, then x_T = z_y + s * prior_std * noise
  denoise        T = 4 steps: x_in = x / input_std[t]; x0 = UNet(x_in, t, lq); x = c1 x + c2 x0 (+ s sigma noise)
  decode_latent  nearest-code quantisation + post_quant_conv + VQ decoder (256^2 image out)
Weights: the same seeded random init as `export.py --random-init --seed SEED --widths WIDTHS` (same
load_models call), fp32, CPU, torch.inference_mode(), torch.set_num_threads(THREADS).
Random LQ tiles in [-1, 1], noise scale 1 (as the C# bench).  `--warmup` tiles (default 1) are run first and
not counted.  Prints one JSON object (stdout); progress goes to stderr.
On a GPU: `--device cuda [--fp16]` (fp16 = torch.autocast, the usual PyTorch deployment); timings synchronise the
device.  `--flop-ceiling` only measures the device's fp16 matrix-product rate (8192^3, the ceiling issue 11
relates the engine's 1.42 TFLOP per 64^2 tile to) and prints it as JSON.
"""
import argparse
import contextlib
import json
import os
import platform
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from resshift_models import configs, count_params  # noqa: E402
from resshift_models.graphs import geometry, load_models  # noqa: E402
from resshift_models.rewrites import rewrite_unet, rewrite_vq  # noqa: E402
from resshift_models.sampler import bicubic_up, reflect_pad  # noqa: E402
from resshift_models.schedule import make_schedule  # noqa: E402

STAGES = ("preprocess", "encode_latent", "denoise", "decode_latent")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def loaded_blas():
    """Real paths of the BLAS/LAPACK libraries mapped into this process (torch links libblas.so.3: on Debian
    the netlib reference BLAS unless OpenBLAS is selected, e.g. with LD_LIBRARY_PATH)."""
    libs = set()
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                p = line.split()[-1]
                if "blas" in p or "lapack" in p:
                    libs.add(os.path.realpath(p))
    except OSError:
        pass
    return sorted(libs)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def flop_ceiling(device, n=8192, reps=10):
    """fp16 matrix-product rate of the device in TFLOP/s (mean of `reps` products after 3 warm-ups)."""
    a = torch.randn(n, n, device=device, dtype=torch.float16)
    b = torch.randn(n, n, device=device, dtype=torch.float16)
    for _ in range(3):
        a @ b
    sync(device)
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync(device)
    return 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e12


def run_tile(unet, vq, lq, s, T, sf, pad, noise_scale, gen, mask=None):
    """One batch of tiles through the sampler; returns per-stage seconds (dict) and the decoded image.
    Everything runs on lq's device; noise is drawn from the (CPU) generator and moved, as sampler.sample does."""
    f32 = lambda v: float(np.float32(v))
    device = lq.device
    randn = lambda shape: torch.randn(shape, generator=gen).to(device)
    times = {}
    sync(device)
    t0 = time.perf_counter()
    yp = reflect_pad(lq, pad)
    y_up = bicubic_up(yp, sf) if sf != 1 else yp
    sync(device)
    t1 = time.perf_counter()
    times["preprocess"] = t1 - t0

    z_y = vq.encode(y_up)
    x = z_y + f32(s["prior_std"] * noise_scale) * randn(z_y.shape)
    sync(device)
    t2 = time.perf_counter()
    times["encode_latent"] = t2 - t1

    step_s = []
    for t in range(T - 1, -1, -1):
        ts = time.perf_counter()
        tt = torch.full((lq.shape[0],), t, dtype=torch.int64, device=device)
        x_in = x / f32(s["input_std"][t])
        x0 = unet(x_in, tt, yp, mask) if mask is not None else unet(x_in, tt, yp)
        x = f32(s["c1"][t]) * x + f32(s["c2"][t]) * x0
        if t > 0:
            x = x + f32(s["sigma"][t] * noise_scale) * randn(x.shape)
        sync(device)
        step_s.append(time.perf_counter() - ts)
    t3 = time.perf_counter()
    times["denoise"] = t3 - t2

    img = vq.decode(x)
    sync(device)
    t4 = time.perf_counter()
    times["decode_latent"] = t4 - t3
    return times, step_s, img


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--id", default="resshift-realsr-x4-v3")
    ap.add_argument("--widths", default="full", choices=["full", "tiny"])
    ap.add_argument("--seed", type=int, default=7, help="the --seed given to export.py --random-init")
    ap.add_argument("--tile", type=int, default=64, help="LQ tile side (as export.py --tile)")
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (= ORT intra-op threads); required on the CPU")
    ap.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    ap.add_argument("--fp16", action="store_true", help="torch.autocast to fp16 on the device (GPU baseline)")
    ap.add_argument("--flop-ceiling", action="store_true", help="only measure the device's fp16 matmul TFLOP/s")
    ap.add_argument("--interop-threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1, help="tiles per call")
    ap.add_argument("--tiles", type=int, default=2, help="measured batches (tiles = batch x this)")
    ap.add_argument("--warmup", type=int, default=1, help="unmeasured batches first")
    ap.add_argument("--noise-scale", type=float, default=1.0)
    ap.add_argument("--rewrites", action="store_true",
                    help="run the export's inference rewrites (resshift_models/rewrites.py) in PyTorch too")
    a = ap.parse_args(argv)
    device = torch.device(a.device)
    if a.flop_ceiling:
        dev = device if device.type != "cpu" else torch.device("cuda")
        print(json.dumps({"measure": "fp16_matmul_8192", "device": torch.cuda.get_device_name(dev),
                          "tflops": flop_ceiling(dev), "torch": torch.__version__}))
        return 0
    if device.type == "cpu" and a.threads < 1:
        ap.error("--threads is required on the CPU")

    torch.set_num_threads(max(1, a.threads))
    torch.set_num_interop_threads(a.interop_threads)
    t_load = time.perf_counter()
    torch.manual_seed(a.seed)  # as export.py
    cfg, unet, vq = load_models(a.id, a.widths, None, None, a.seed)
    if a.rewrites:
        unet, vq = rewrite_unet(unet)[0], rewrite_vq(vq)[0]
    unet, vq = unet.to(device), vq.to(device)
    load_s = time.perf_counter() - t_load
    geo = geometry(cfg, a.tile)
    sched = cfg["schedule"]
    T = sched["T"]
    s = make_schedule(**sched)
    sf = cfg["scale"]
    rng = np.random.default_rng(7)
    lq = torch.from_numpy(rng.uniform(-1, 1, (a.batch, 3, geo["lq"], geo["lq"])).astype(np.float32)).to(device)
    mask = None
    if geo["mask"]:
        mask = torch.from_numpy(np.where(rng.uniform(0, 1, (a.batch, 1, geo["lq"], geo["lq"])) > 0.7, 1.0, -1.0)
                                .astype(np.float32)).to(device)
    gen = torch.Generator().manual_seed(a.seed)
    log(f"bench_torch: {a.id} widths={a.widths} seed={a.seed} tile={a.tile} (latent {geo['latent']}, image "
        f"{geo['image']}) batch={a.batch} threads={torch.get_num_threads()} torch {torch.__version__}; "
        f"params denoiser={count_params(unet)} autoencoder={count_params(vq)}; built in {load_s:.1f}s; "
        f"BLAS {', '.join(loaded_blas())}")

    per_batch = []
    autocast = torch.autocast(device.type, dtype=torch.float16) if a.fp16 else contextlib.nullcontext()
    with torch.inference_mode(), autocast:
        for i in range(a.warmup + a.tiles):
            t0, c0 = time.perf_counter(), time.process_time()
            times, step_s, img = run_tile(unet, vq, lq, s, T, sf, cfg["lq_pad_multiple"], a.noise_scale, gen, mask)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            tag = "warm-up" if i < a.warmup else "measured"
            log(f"  {tag} batch {i}: {wall:.2f}s  [" + ", ".join(f"{k} {v:.2f}s" for k, v in times.items())
                + "]  steps " + " ".join(f"{x:.2f}" for x in step_s) + f"  (process cpu {cpu:.1f}s)")
            if i >= a.warmup:
                per_batch.append(dict(wall=wall, cpu=cpu, steps=step_s, **times))
    assert torch.isfinite(img).all(), "non-finite output"

    tiles = a.batch * a.tiles
    total = sum(b["wall"] for b in per_batch)
    out = {
        "engine": "pytorch", "implementation": "engines/resshift_models", "rewrites": a.rewrites, "torch": torch.__version__,
        "python": platform.python_version(), "mkldnn": torch.backends.mkldnn.is_available(),
        "blas_libraries": loaded_blas(), "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS"),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu", "fp16_autocast": a.fp16,
        "model": a.id, "widths": a.widths, "seed": a.seed, "tile": a.tile, "batch": a.batch,
        "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
        "warmup_batches": a.warmup, "tiles": tiles, "seconds": total,
        "ms_per_tile": 1000 * total / tiles, "tiles_per_s": tiles / total,
        "stage_ms_per_tile": {k: 1000 * sum(b[k] for b in per_batch) / tiles for k in STAGES},
        "denoiser_ms_per_step_per_tile": 1000 * sum(sum(b["steps"]) for b in per_batch) / (tiles * T),
        "batch_seconds": [b["wall"] for b in per_batch],
        "batch_process_cpu_seconds": [b["cpu"] for b in per_batch],
        "build_seconds": load_s,
        "output_abs_mean": float(img.abs().mean()),
    }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
