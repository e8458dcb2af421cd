"""Export the BIRD UNet to ONNX: eps = unet(x [N,3,R,R] float32, t [N] int64), dynamic batch, opset 17.

  export.py --checkpoint celeba_hq.ckpt --id bird-celeba-256 --out engines/bird-celeba-256
  export.py --random-init --seed 7 --widths tiny --id bird-tiny --out engines/bird-tiny
  export.py --keys-out engines/bird/refkeys/celeba_hq_256.json   (names + shapes of the full-width model)

Writes unet.onnx, model.json (the "bird" manifest kind) and verify/ (one batch: x, t, eps from PyTorch, raw
float32/int64 little-endian) which `resshift models verify` and the tests replay through ONNX Runtime.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import unet as U  # noqa: E402

OPSET = 17
CKPT_PAGE = "https://drive.google.com/file/d/1qMs7tNGV3tkOZNKH5L130dkwsmobEJdh/view"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def load_checkpoint(model, path):
    sd = torch.load(path, map_location="cpu")
    if isinstance(sd, dict) and "state_dict" in sd:
        sd = sd["state_dict"]
    sd = {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}
    model.load_state_dict(sd, strict=True)  # every name and shape must match refkeys/


def keys_json(model):
    return {"source": "state_dict() of engines/bird/unet.py DdpmUNet() (the CelebA-HQ 256 configuration); "
                      "checked equal, in order, names and shapes, to the released code's Model built from its celeba_hq.yml",
            "model": "ddpm_unet_celeba_hq_256",
            "parameters": sum(p.numel() for p in model.parameters()),
            "keys": {k: list(v.shape) for k, v in model.state_dict().items()}}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint")
    ap.add_argument("--random-init", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--widths", choices=["full", "tiny"], default="full")
    ap.add_argument("--id")
    ap.add_argument("--out")
    ap.add_argument("--keys-out")
    ap.add_argument("--verify-batch", type=int, default=2)
    ap.add_argument("--resolution", type=int, help="override the image size (tiny models only; the real model is 256)")
    a = ap.parse_args(argv)
    torch.manual_seed(a.seed)
    cfg = U.TINY if a.widths == "tiny" else U.CELEBA_HQ_256
    if a.resolution:
        import dataclasses
        cfg = dataclasses.replace(cfg, resolution=a.resolution)
    model = U.DdpmUNet(cfg).eval()
    if a.keys_out:
        with open(a.keys_out, "w") as f:
            json.dump(keys_json(model), f, separators=(",", ":"))
            f.write("\n")
        if not a.out:
            return 0
    if a.checkpoint:
        load_checkpoint(model, a.checkpoint)
    elif not a.random_init:
        ap.error("--checkpoint or --random-init")
    os.makedirs(os.path.join(a.out, "verify"), exist_ok=True)
    r = cfg.resolution
    path = os.path.join(a.out, "unet.onnx")
    x = torch.randn(a.verify_batch, cfg.in_channels, r, r)
    t = torch.tensor([900, 0, 500, 100][: a.verify_batch], dtype=torch.int64)
    with torch.no_grad():
        eps = model(x, t)
        torch.onnx.export(model, (x, t), path, input_names=["x", "t"], output_names=["eps"],
                          dynamic_axes={"x": {0: "N"}, "t": {0: "N"}, "eps": {0: "N"}},
                          opset_version=OPSET, do_constant_folding=True)
    for name, v in (("x", x), ("t", t), ("eps", eps)):
        v.numpy().tofile(os.path.join(a.out, "verify", name + ".bin"))
    with open(os.path.join(a.out, "verify", "index.json"), "w") as f:
        json.dump({"batch": a.verify_batch, "shape": [a.verify_batch, cfg.in_channels, r, r],
                   "t": t.tolist(), "tolerance": 1e-4}, f, indent=1)
    random = not a.checkpoint
    manifest = {
        "id": a.id,
        "kind": "bird",
        "name": ("BIRD DDPM UNet, random weights (" + a.widths + " widths; tests)") if random
        else "BIRD: DDPM UNet trained on CelebA-HQ 256 (celeba_hq.ckpt)",
        "task": "bird",
        "bird": {"image": r, "channels": cfg.in_channels, "betas": "linear", "beta_start": 1e-4, "beta_end": 0.02,
                 "T": 1000, "delta_t": 100, "architecture": cfg.to_json()},
        "files": {"unet": {"path": "unet.onnx", "sha256": sha256(path)}},
        "io": {"unet": {"inputs": ["x", "t"], "outputs": ["eps"]}},
        "sources": [] if random else [{"role": "unet", "url": CKPT_PAGE, "sha256": sha256(a.checkpoint)}],
        "licence": {"id": "MIT", "name": "MIT License", "commercial_use": True, "url": "https://opensource.org/licenses/MIT"}
        if random else {"id": "unknown-noncommercial",
                        "name": "weights public, no licence stated; trained on CelebA-HQ (non-commercial research data terms)",
                        "commercial_use": False, "url": "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"},
        "verification": "verify/index.json",
        "parameters": {"unet": sum(p.numel() for p in model.parameters())},
        "generated_by": "engines/bird/export.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    with open(os.path.join(a.out, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote {a.out}: unet.onnx ({os.path.getsize(path)} bytes), {manifest['parameters']['unet']} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main())
