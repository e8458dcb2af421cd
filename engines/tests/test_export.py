"""Exporter checks on a tiny-width official architecture, plus the chunked VQ attention / codebook."""
import importlib.util
import json
import os
import tempfile

import numpy as np
import torch

# Loaded by path: engines/bird/export.py (put on sys.path by test_bird) has the same module name.
_spec = importlib.util.spec_from_file_location("resshift_export", os.path.join(os.path.dirname(__file__), "..", "export.py"))
export = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(export)
from resshift_models import build_vq, configs, random_init
from resshift_models.vq import chunked_attention


def test_chunked_attention_is_exact():
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 300, 16, generator=g) for _ in range(3))
    full = torch.softmax(q @ k.transpose(1, 2) / 4.0, dim=-1) @ v
    for budget in (300, 300 * 7, 1 << 22):
        assert (chunked_attention(q, k, v, budget) - full).abs().max() < 1e-5


def test_codebook_banding_and_decode_budget_invariant():
    vq = random_init(build_vq(configs.get("tiny-x4")), 3)
    z = torch.randn(2, 3, 16, 24)
    with torch.no_grad():
        ref = vq.decode(z)
        e = vq.quantize.embedding.weight
        d = ((z.permute(0, 2, 3, 1).reshape(-1, 1, 3) - e[None]) ** 2).sum(-1)
        q = e[d.argmin(1)].reshape(2, 16, 24, 3).permute(0, 3, 1, 2)
        assert (vq.quantize(z) - q).abs().max() < 1e-6
        vq.set_budget(512 * 24 + 5)   # forces 1-row bands and tiny attention chunks
        assert (vq.decode(z) - ref).abs().max() < 1e-4


def test_export_tiny_realsr_v3_graphs():
    with tempfile.TemporaryDirectory() as d:
        rc = export.main(["--random-init", "--seed", "5", "--widths", "tiny", "--id", "resshift-realsr-x4-v3",
                          "--tile", "64", "--out", d])
        assert rc == 0
        m = json.load(open(os.path.join(d, "model.json")))
        assert m["schedule"] == {"T": 4, "kappa": 2.0, "min_noise_level": 0.2, "etas_end": 0.99, "power": 0.3}
        idx = json.load(open(os.path.join(d, "verify", "index.json")))
        for g in ("encoder", "denoiser", "decoder"):
            assert os.path.exists(os.path.join(d, g + ".onnx"))
            assert idx["checks"][g]["traced_vs_eager_max_abs"] < 1e-5
            assert idx["checks"][g]["traced_batch1_vs_eager_max_abs"] < 1e-5
            for case in idx["graphs"][g]:
                for v in list(case["inputs"].values()) + list(case["outputs"].values()):
                    n = int(np.prod(v["shape"])) * np.dtype(v["dtype"]).itemsize
                    assert os.path.getsize(os.path.join(d, "verify", v["file"])) == n
        assert idx["graphs"]["denoiser"][0]["inputs"]["t"]["dtype"] == "int64"
        assert "pending" in idx["checks"]["onnxruntime"]
