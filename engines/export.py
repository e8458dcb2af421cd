#!/usr/bin/python3
"""Export a ResShift model to three ONNX graphs (encoder, denoiser, decoder) + model.json + verify bundle.

  export.py --checkpoint resshift_realsrx4_s4_v3.pth --autoencoder autoencoder_vq_f4.pth --task realsr \
            --tile 64 --out engines/resshift-realsr-x4-v3/ [--id resshift-realsr-x4-v3]
  export.py --random-init --seed 1234 --widths tiny --id tiny-x4 --tile 64 --out engines/tiny-x4/

Graphs: opset 17, fp32 weights, fixed spatial shape for the tile, dynamic batch (dim 0 = "N").
Checks done here: onnx.checker, declared names/dtypes/shapes, traced (torch.jit) vs eager max abs error,
traced at batch 1 vs eager.  The ONNX Runtime check is left to `resshift models verify ID` (C# side).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from resshift_models import configs, count_params  # noqa: E402
from resshift_models.rewrites import rewrite_unet, rewrite_vq  # noqa: E402
from resshift_models.graphs import (DenoiserGraph, DenoiserMaskGraph, EncoderGraph, DecoderGraph,  # noqa: E402
                                    geometry, load_models, sha256_file)

OPSET = 17
TOLERANCE = {"rule": "|onnx - torch| <= atol + rtol * |torch| elementwise, fp32 execution",
             "encoder": {"atol": 1e-3, "rtol": 1e-3},
             "denoiser": {"atol": 1e-3, "rtol": 1e-3},
             "decoder": {"atol": 2e-3, "rtol": 1e-3}}


def log(*a):
    print(*a, flush=True)


def make_inputs(name, geo, batch, rng, T):
    L, I, Q, C = geo["latent"], geo["image"], geo["lq"], geo["lat_ch"]
    f = lambda *s: torch.from_numpy(rng.standard_normal(s).astype(np.float32))
    u = lambda *s: torch.from_numpy(rng.uniform(-1, 1, s).astype(np.float32))
    if name == "encoder":
        return {"image": u(batch, 3, I, I)}
    if name == "denoiser":
        d = {"x": f(batch, C, L, L), "t": torch.tensor([T - 1 - (i % T) for i in range(batch)], dtype=torch.int64),
             "lq": u(batch, 3, Q, Q)}
        if geo["mask"]:
            d["mask"] = torch.from_numpy(np.where(rng.uniform(0, 1, (batch, 1, Q, Q)) > 0.7, 1.0, -1.0)
                                         .astype(np.float32))
        return d
    return {"latent": f(batch, C, L, L) * 0.5}


def write_bin(path, t):
    a = t.detach().cpu().numpy()
    a = a.astype(a.dtype.newbyteorder("<"), copy=False)
    with open(path, "wb") as fh:
        fh.write(np.ascontiguousarray(a).tobytes())
    return {"dtype": str(a.dtype).lstrip("<"), "shape": list(a.shape)}


ONNX_DT = {1: "float32", 7: "int64", 10: "float16"}


def fix_output_shapes(path, shapes):
    """Declare the fixed spatial output shape (the exporter's shape inference leaves it symbolic after Pad/Resize)."""
    import onnx
    m = onnx.load(path)
    for o in m.graph.output:
        if o.name in shapes:
            dims = o.type.tensor_type.shape.dim
            for i, v in enumerate(shapes[o.name]):
                if i == 0:
                    dims[i].Clear()
                    dims[i].dim_param = "N"
                else:
                    dims[i].Clear()
                    dims[i].dim_value = int(v)
    onnx.save(m, path)


def check_onnx(path, in_names, out_names, in_shapes, out_shapes):
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    assert m.opset_import[0].version == OPSET, m.opset_import
    got_in = [i.name for i in m.graph.input]
    got_out = [o.name for o in m.graph.output]
    assert got_in == in_names, (got_in, in_names)
    assert got_out == out_names, (got_out, out_names)

    def dims(vi):
        return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]

    desc = {}
    for vi, shp in list(zip(m.graph.input, in_shapes)) + list(zip(m.graph.output, out_shapes)):
        d = dims(vi)
        assert d[0] == "N", (vi.name, d)
        assert d[1:] == list(shp[1:]), (vi.name, d, shp)
        desc[vi.name] = {"dtype": ONNX_DT.get(vi.type.tensor_type.elem_type, "?"), "shape": d}
    init_dtypes = {t.data_type for t in m.graph.initializer}
    assert 10 not in init_dtypes, "fp16 initializer found"
    return desc, len(m.graph.node)


def export_graph(name, module, reference, inputs, out_name, path, verify_dir, n_cases, batch, geo, rng, T,
                 check_b1):
    """Exports `module` (the rewritten graph); the verify bundle holds `reference`'s (unmodified) outputs."""
    in_names = list(inputs.keys())
    args = tuple(inputs.values())
    t0 = time.time()
    with torch.no_grad():
        eager = module(*args)
        ref = reference(*args)
        traced = torch.jit.trace(module, args, check_trace=False)
        tr = traced(*args)
    err = (eager - tr).abs().max().item()
    err_ref = (eager - ref).abs().max().item()
    log(f"[{name}] traced vs eager (batch {batch}): max abs error {err:.3e}  ({time.time() - t0:.1f}s)")
    log(f"[{name}] rewritten vs reference modules (batch {batch}): max abs error {err_ref:.3e}")
    tol = TOLERANCE[name]
    assert bool(((eager - ref).abs() <= tol["atol"] + tol["rtol"] * ref.abs()).all()), \
        f"{name}: rewritten graph departs from the reference modules by {err_ref:.3e}"
    err_b1 = None
    if check_b1 and batch > 1:
        a1 = tuple(a[:1] for a in args)
        with torch.no_grad():
            err_b1 = (module(*a1) - traced(*a1)).abs().max().item()
        log(f"[{name}] traced (traced at batch {batch}) vs eager at batch 1: max abs error {err_b1:.3e}")
    t0 = time.time()
    dyn = {n: {0: "N"} for n in in_names + [out_name]}
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=in_names, output_names=[out_name], dynamic_axes=dyn,
                          opset_version=OPSET, do_constant_folding=True, export_params=True)
    fix_output_shapes(path, {out_name: tuple(eager.shape)})
    desc, nodes = check_onnx(path, in_names, [out_name], [tuple(a.shape) for a in args], [tuple(eager.shape)])
    log(f"[{name}] onnx export + checker ok: {nodes} nodes, {os.path.getsize(path)} bytes  ({time.time() - t0:.1f}s)")
    cases = []
    for i in range(n_cases):
        if i > 0:
            inputs = make_inputs(name, geo, batch, rng, T)
            args = tuple(inputs.values())
            with torch.no_grad():
                ref = reference(*args)
        case = {"inputs": {}, "outputs": {}}
        for n, a in inputs.items():
            fn = f"{name}_{i}_{n}.bin"
            case["inputs"][n] = dict(file=fn, **write_bin(os.path.join(verify_dir, fn), a))
        fn = f"{name}_{i}_{out_name}.bin"
        case["outputs"][out_name] = dict(file=fn, **write_bin(os.path.join(verify_dir, fn), ref))
        cases.append(case)
    return cases, {"traced_vs_eager_max_abs": err, "traced_batch1_vs_eager_max_abs": err_b1,
                   "rewritten_vs_reference_max_abs": err_ref, "io": desc}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", help="denoiser .pth (official release)")
    ap.add_argument("--autoencoder", help="VQ autoencoder .pth (official release)")
    ap.add_argument("--task", default="realsr", choices=sorted(configs.TASK_DEFAULT_ID))
    ap.add_argument("--id", help="model id (default: from --task); see resshift_models/configs.py")
    ap.add_argument("--tile", type=int, default=64, help="LQ tile side in pixels (latent side = tile*scale/factor)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--random-init", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--widths", default="full", choices=["full", "tiny"])
    ap.add_argument("--verify-batch", type=int, default=2)
    ap.add_argument("--verify-cases", type=int, default=1)
    ap.add_argument("--graphs", default="encoder,denoiser,decoder")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args(argv)

    if a.threads:
        torch.set_num_threads(a.threads)
    model_id = a.id or configs.TASK_DEFAULT_ID[a.task]
    if model_id not in configs.MODELS:
        ap.error(f"unknown id {model_id}; known: {', '.join(configs.MODELS)}")
    if not a.random_init and not (a.checkpoint and a.autoencoder):
        ap.error("give --checkpoint and --autoencoder, or --random-init")
    if a.random_init and (a.checkpoint or a.autoencoder):
        ap.error("--random-init excludes --checkpoint/--autoencoder")
    torch.manual_seed(a.seed)
    cfg, unet, vq = load_models(model_id, a.widths, a.checkpoint, a.autoencoder, a.seed if a.random_init else None)
    if cfg["task"] != a.task and a.id is None:
        ap.error("task/id mismatch")
    geo = geometry(cfg, a.tile)
    T = cfg["schedule"]["T"]
    os.makedirs(a.out, exist_ok=True)
    vdir = os.path.join(a.out, "verify")
    os.makedirs(vdir, exist_ok=True)
    n_unet, n_vq = count_params(unet), count_params(vq)
    log(f"model {model_id} widths={a.widths} tile={a.tile} latent={geo['latent']} image={geo['image']}; "
        f"params denoiser={n_unet} autoencoder={n_vq}")

    rng = np.random.default_rng(a.seed + 7)
    unet_rw, unet_n = rewrite_unet(unet)
    vq_rw, vq_n = rewrite_vq(vq)
    log(f"inference rewrites: denoiser {unet_n}, autoencoder {vq_n}")
    den = DenoiserMaskGraph if geo["mask"] else DenoiserGraph
    specs = {"encoder": (EncoderGraph(vq_rw).eval(), EncoderGraph(vq).eval(), "latent"),
             "denoiser": (den(unet_rw).eval(), den(unet).eval(), "x0"),
             "decoder": (DecoderGraph(vq_rw).eval(), DecoderGraph(vq).eval(), "image")}
    index = {"graphs": {}, "tolerance": TOLERANCE, "checks": {}, "rewrites": {"denoiser": unet_n, "autoencoder": vq_n}}
    files = {}
    for name in a.graphs.split(","):
        mod, reference, out_name = specs[name]
        inputs = make_inputs(name, geo, a.verify_batch, rng, T)
        path = os.path.join(a.out, f"{name}.onnx")
        cases, chk = export_graph(name, mod, reference, inputs, out_name, path, vdir, a.verify_cases, a.verify_batch, geo,
                                  rng, T, check_b1=True)
        index["graphs"][name] = cases
        index["checks"][name] = chk
        files[name] = {"path": f"{name}.onnx", "sha256": sha256_file(path)}
    index["checks"]["onnxruntime"] = "pending: run `resshift models verify " + model_id + "` (C# side)"
    with open(os.path.join(vdir, "index.json"), "w") as fh:
        json.dump(index, fh, indent=1, sort_keys=False)
        fh.write("\n")

    io = {"encoder": {"inputs": ["image"], "outputs": ["latent"]},
          "denoiser": {"inputs": ["x", "t", "lq"] + (["mask"] if geo["mask"] else []), "outputs": ["x0"]},
          "decoder": {"inputs": ["latent"], "outputs": ["image"]}}
    sources = []
    if not a.random_init:
        den_url, ae_url = configs.source_urls(cfg)
        sources = [{"role": "denoiser", "url": den_url, "sha256": sha256_file(a.checkpoint)},
                   {"role": "autoencoder", "url": ae_url, "sha256": sha256_file(a.autoencoder)}]
    argv_rel = []
    for x in (argv if argv is not None else sys.argv[1:]):
        argv_rel.append(os.path.basename(x) if x.endswith(".pth") else x)
    manifest = {
        "id": model_id, "name": cfg["name"] + (" [tiny widths, random]" if a.widths == "tiny" and model_id not in configs.TEST_MODELS else ""),
        "task": cfg["task"], "scale": cfg["scale"], "input": cfg["input"],
        "latent": {"factor": geo["factor"], "channels": geo["lat_ch"]},
        "schedule": {k: cfg["schedule"][k] for k in ("T", "kappa", "min_noise_level", "etas_end", "power", "timesteps")
                     if k in cfg["schedule"]},
        "lq_pad_multiple": cfg["lq_pad_multiple"],
        "tile": {"lq": a.tile},
        "files": {k: files[k] for k in ("encoder", "denoiser", "decoder") if k in files},
        "io": io,
        "sources": sources,
        "licence": cfg["licence"] if not a.random_init or model_id in configs.TEST_MODELS else configs.MIT,
        "verification": "verify/index.json",
        "parameters": {"denoiser": n_unet, "autoencoder": n_vq},
        "generated_by": "engines/export.py " + " ".join(argv_rel),
    }
    with open(os.path.join(a.out, "model.json"), "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    total = sum(os.path.getsize(os.path.join(a.out, f["path"])) for f in files.values())
    log(f"wrote {a.out}/model.json; graphs total {total} bytes")
    for k, f in files.items():
        log(f"  {k}.onnx sha256 {f['sha256']}")
    log("ONNX Runtime check pending: run `resshift models verify " + model_id + "` on the C# side")
    return 0


if __name__ == "__main__":
    sys.exit(main())
