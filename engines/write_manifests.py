"""Writes the hand-kept manifest engines/<id>/model.json of every released model (no graphs yet).

The manifest says what the model is before its ONNX files exist: task, job contract ("input"), scale, latent,
schedule, padding multiple, default tile, sources and licence, so `resshift models list/show` can describe it and
say how to get it. `make models MODEL=<id>` (engines/make_models.sh) replaces it with the exported one (same
fields plus "files", "io", "verification", measured parameter counts and source sha256).
Usage: /usr/bin/python3 engines/write_manifests.py [ID ...]   (default: every released model; skips a folder
whose model.json already lists graphs)
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resshift_models import configs  # noqa: E402

PARAMS = {  # measured with count_params (engines/README.md), same as the reference classes
    "realsr": 118593583, "bicsr": 118593583, "inpaint": 118714399, "faceir": 118931604,
    "autoencoder_vq_f4.pth": 55322782, "celeba256_vq_f4_dim3_face.pth": 55322782, "ffhq512_vq_f8_dim8_face.pth": 77009115,
}


def manifest(model_id):
    cfg = configs.get(model_id)
    factor = configs.latent_factor(cfg["vq"])
    steps = len(configs.timesteps(cfg["schedule"]))
    den_url, ae_url = configs.source_urls(cfg)
    one = f" at t = {cfg['schedule']['timesteps'][0]} of the {cfg['schedule']['T']}-step schedule" \
        if cfg["schedule"].get("timesteps") else ""
    return {
        "id": model_id,
        "name": cfg["name"],
        "task": cfg["task"],
        "input": cfg["input"],
        "scale": cfg["scale"],
        "latent": {"factor": factor, "channels": cfg["vq"]["embed_dim"]},
        "schedule": dict(cfg["schedule"]),
        "lq_pad_multiple": cfg["lq_pad_multiple"],
        "tile": {"lq": configs.DEFAULT_TILE[cfg["task"]]},
        "files": {},
        "io": {"encoder": {"inputs": ["image"], "outputs": ["latent"]},
               "denoiser": {"inputs": ["x", "t", "lq"] + (["mask"] if cfg["unet"]["cond_mask"] else []), "outputs": ["x0"]},
               "decoder": {"inputs": ["latent"], "outputs": ["image"]}},
        "sources": [{"role": "denoiser", "url": den_url, "sha256": None},
                    {"role": "autoencoder", "url": ae_url, "sha256": None}],
        "licence": cfg["licence"],
        "verification": None,
        "parameters": {"denoiser": PARAMS[cfg["task"]], "autoencoder": PARAMS[cfg["autoencoder"]]},
        "reference_config": cfg["ref_config"],
        "generated_by": f"engines/write_manifests.py (no graphs yet: {steps}-step model{one}; "
                        f"ONNX files appear after 'make models MODEL={model_id}')",
    }


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    ids = argv or [k for k in configs.MODELS if k not in configs.TEST_MODELS]
    for model_id in ids:
        path = os.path.join(here, model_id, "model.json")
        if os.path.exists(path):
            with open(path) as fh:
                if json.load(fh).get("files"):
                    print(f"skip {model_id}: {path} lists exported graphs")
                    continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            json.dump(manifest(model_id), fh, indent=2)
            fh.write("\n")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
