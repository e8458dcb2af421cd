"""The committed tiny-x4 model: files vs manifest, verify bundle vs PyTorch, parity data vs the sampler."""
import hashlib
import json
import os

import numpy as np
import torch

from resshift_models.graphs import load_models, DenoiserGraph
from resshift_models.vq import EncoderGraph, DecoderGraph
from resshift_models.sampler import sample

D = os.path.join(os.path.dirname(__file__), "..", "tiny-x4")
SEED = 1234
MANIFEST_KEYS = ["id", "name", "task", "scale", "latent", "schedule", "lq_pad_multiple", "tile", "files", "io",
                 "sources", "licence", "verification", "parameters", "generated_by"]


def _load(path, dtype, shape):
    return np.fromfile(path, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)


def _models():
    return load_models("tiny-x4", "tiny", None, None, SEED)


def test_files_match_manifest_and_size():
    m = json.load(open(os.path.join(D, "model.json")))
    assert list(m.keys()) == MANIFEST_KEYS
    assert m["id"] == "tiny-x4" and m["licence"]["id"] == "MIT" and m["sources"] == []
    assert m["latent"] == {"factor": 4, "channels": 3} and m["tile"] == {"lq": 64}
    total = 0
    for g in ("encoder", "denoiser", "decoder"):
        f = m["files"][g]
        p = os.path.join(D, f["path"])
        assert hashlib.sha256(open(p, "rb").read()).hexdigest() == f["sha256"], g
        total += os.path.getsize(p)
    assert total < 5_000_000, total
    assert m["io"]["denoiser"] == {"inputs": ["x", "t", "lq"], "outputs": ["x0"]}


def test_onnx_graphs_declared_io():
    import onnx
    expect = {"encoder": ({"image": [3, 256, 256]}, {"latent": [3, 64, 64]}),
              "denoiser": ({"x": [3, 64, 64], "t": [], "lq": [3, 64, 64]}, {"x0": [3, 64, 64]}),
              "decoder": ({"latent": [3, 64, 64]}, {"image": [3, 256, 256]})}
    for g, (ins, outs) in expect.items():
        mo = onnx.load(os.path.join(D, g + ".onnx"))
        onnx.checker.check_model(mo)
        assert mo.opset_import[0].version == 17
        for vi, (name, shp) in list(zip(mo.graph.input, ins.items())) + list(zip(mo.graph.output, outs.items())):
            assert vi.name == name
            dims = [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]
            assert dims == ["N"] + shp, (g, name, dims)
            assert vi.type.tensor_type.elem_type == (7 if name == "t" else 1)
        assert all(t.data_type == 1 or t.data_type == 7 for t in mo.graph.initializer)


def test_verify_bundle_reproduces_from_seed():
    cfg, unet, vq = _models()
    idx = json.load(open(os.path.join(D, "verify", "index.json")))
    mods = {"encoder": EncoderGraph(vq), "denoiser": DenoiserGraph(unet), "decoder": DecoderGraph(vq)}
    for g, cases in idx["graphs"].items():
        assert idx["checks"][g]["traced_vs_eager_max_abs"] < 1e-5
        for case in cases:
            ins = [torch.from_numpy(_load(os.path.join(D, "verify", v["file"]), v["dtype"], v["shape"]).copy())
                   for v in case["inputs"].values()]
            assert ins[0].shape[0] == 2  # batch 2
            (o,) = case["outputs"].values()
            ref = _load(os.path.join(D, "verify", o["file"]), o["dtype"], o["shape"])
            with torch.no_grad():
                got = mods[g](*ins).numpy()
            assert np.abs(got - ref).max() < 1e-4, (g, np.abs(got - ref).max())


def test_parity_data_reproduces_and_is_sane():
    cfg, unet, vq = _models()
    idx = json.load(open(os.path.join(D, "parity", "index.json")))
    P = lambda e: _load(os.path.join(D, "parity", e["file"]), e["dtype"], e["shape"])
    for name, case in idx["cases"].items():
        f = case["files"]
        lq = P(f["lq_uint8"])
        h, w = lq.shape[:2]
        y = torch.from_numpy(lq.astype(np.float32)).permute(2, 0, 1).unsqueeze(0) / 255.0 * 2.0 - 1.0
        rec = {}
        sample(unet, vq, y, cfg["schedule"], sf=4, pad_multiple=64, noise_scale=0.0, record=rec)
        assert np.abs(rec["y"].numpy() - P(f["y"])).max() == 0
        assert np.abs(rec["z_y"].numpy() - P(f["z_y"])).max() < 1e-4
        assert [s["t"] for s in f["steps"]] == [3, 2, 1, 0]
        assert np.abs(rec["steps"][-1]["x"].numpy() - P(f["steps"][-1]["x"])).max() < 1e-4
        dec = P(f["decoded"])
        assert dec.shape == (1, 3, 4 * h, 4 * w)
        assert np.abs(rec["decoded"].numpy() - dec).max() < 1e-3
        out = P(f["out_uint8"])
        assert out.shape == (4 * h, 4 * w, 3) and out.dtype == np.uint8
        exp = np.round(255.0 * (0.5 * np.clip(dec[0], -1, 1) + 0.5)).astype(np.uint8).transpose(1, 2, 0)
        assert np.abs(exp.astype(int) - out.astype(int)).max() <= 1
        # non-degenerate random model: varies across pixels, mostly in range
        assert dec.std() > 0.1 and ((dec >= -1) & (dec <= 1)).mean() > 0.8
        assert len(np.unique(out.reshape(-1, 3), axis=0)) > 1000
    b = idx["cases"]["crop37x50"]
    assert b["padded_size_hw"] == [64, 64] and b["output_size_hw"] == [148, 200]
    # x after step t=0 equals x0 at t=0 (c1[0] = 0, c2[0] = 1)
    f = idx["cases"]["full64"]["files"]["steps"][-1]
    assert np.array_equal(P(f["x"]), P(f["x0"]))
